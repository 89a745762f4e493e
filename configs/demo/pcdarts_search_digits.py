# PC-DARTS search on scikit-learn's digits (tools/demo.py --pipeline
# pcdarts): the CIFAR-10 search config, shrunk to a CPU-sized network
# (5 cells, 8 channels, K=4) and 16x16 digits. The train split trains the
# weights, the val split the architecture; the test split stays unseen.
_base_ = ['../nas/pcdarts/pcdarts_search_1xb256_cifar10.py']

model = dict(
    architecture=dict(
        backbone=dict(channels=8, num_layers=5), head=dict(in_channels=128)))

data_preprocessor = dict(
    num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=False)

_digits = dict(
    type='SklearnDigits', image_size=16, pipeline=[dict(type='PackInputs')])
_loader = dict(batch_size=64, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    _loader, dataset=dict(_digits, _delete_=True, split='train'))
val_dataloader = dict(
    _loader, dataset=dict(_digits, _delete_=True, split='val'))

max_epochs = 6
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_epochs,
            eta_min=0.0,
            by_epoch=True,
            begin=0,
            end=max_epochs),
    ],
    mutator=[],
)
train_cfg = dict(
    # the architecture trains on val_dataloader's split (shuffled): set
    # from it (mmrazor_lite/apis/loop_dataloaders.py)
    arch_dataloader=dict(
        _delete_=True, sampler=dict(type='DefaultSampler', shuffle=True)),
    max_epochs=max_epochs,
    arch_begin_epoch=2,
    val_interval=max_epochs,
)
default_hooks = dict(logger=dict(interval=10))
randomness = dict(seed=0)
# the demo's recipe: 1 process x 64 (not the CIFAR-10 recipe's 1 x 256)
auto_scale_lr = dict(base_batch_size=64)
