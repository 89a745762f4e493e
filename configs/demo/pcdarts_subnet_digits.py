# Train and test the cell the demo's PC-DARTS search found, on
# scikit-learn's digits (tools/demo.py --pipeline pcdarts): the CIFAR-10
# evaluation config shrunk to CPU size (5 cells, 8 channels, 32x32 digits,
# cutout 8, a few epochs). The genotype comes from the search:
#   --cfg-options model.backbone.genotype=<search>/genotype.yaml
_base_ = ['../nas/pcdarts/pcdarts_subnet_1xb96_cifar10.py']

model = dict(
    backbone=dict(channels=8, num_layers=5),
    head=dict(in_channels=128, aux_channels=128))

data_preprocessor = dict(
    num_classes=10,
    mean=[127.5] * 3,
    std=[127.5] * 3,
    to_rgb=False,
    batch_augments=dict(augments=dict(type='BatchCutout', length=8)))

_digits = dict(
    type='SklearnDigits', image_size=32, pipeline=[dict(type='PackInputs')])
_loader = dict(batch_size=64, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    _loader, dataset=dict(_digits, _delete_=True, split='train'))
val_dataloader = dict(
    _loader, dataset=dict(_digits, _delete_=True, split='val'))
test_dataloader = dict(
    _loader, dataset=dict(_digits, _delete_=True, split='test'))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

max_epochs = 4
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0.0,
        by_epoch=True,
        begin=0,
        end=max_epochs),
]
optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
custom_hooks = [dict(type='DropPathScheduleHook', max_prob=0.2)]
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
# the demo's recipe: 1 process x 64 (not the CIFAR-10 recipe's 1 x 96)
auto_scale_lr = dict(base_batch_size=64)
