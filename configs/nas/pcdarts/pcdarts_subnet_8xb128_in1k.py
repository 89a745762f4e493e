# Train and test the PC-DARTS ImageNet cell (mobile setting): 14 cells, 48
# channels, auxiliary head (0.4) after the second reduction cell (7x7);
# 250 epochs at 8 x 128, SGD 0.5, wd 3e-5, 5-epoch linear warm-up then
# linear decay to 0, label smoothing 0.1, clip 5. Reported: 24.2 % / 7.3 %
# top-1 / top-5 error, 597 M FLOPs (params 5.3 M without the aux head).
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR
#   ./tools/dist_test.sh THIS_CONFIG DIR/epoch_250.pth 8
_base_ = [
    '../../_base_/datasets/imagenet_darts_eval.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DartsEvalNetwork',
        genotype=None,  # explicit cell: --cfg-options model.backbone.genotype=
        default_genotype='{{fileDirname}}/PC_DARTS_image.yaml',
        channels=48,
        num_layers=14,
        stem_type='imagenet',
        auxiliary=True,
        drop_path_prob=0.0),
    neck=None,
    head=dict(
        type='DartsEvalHead',
        num_classes=1000,
        in_channels=768,
        aux_channels=768,
        aux_type='imagenet',
        aux_weight=0.4,
        loss=dict(
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            num_classes=1000,
            mode='original'),
        topk=(1, 5)),
)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=3e-5),
    clip_grad=dict(max_norm=5),
)
max_epochs = 250
warmup_epochs = 5
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0 / warmup_epochs,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.0,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=3),
)
auto_scale_lr = dict(base_batch_size=1024)
