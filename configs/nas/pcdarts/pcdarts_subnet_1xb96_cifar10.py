# Train and test the PC-DARTS CIFAR-10 cell from scratch: 20 cells, 36
# channels, auxiliary head (weight 0.4) after the second reduction cell,
# drop path rising 0 -> 0.3, cutout 16; 600 epochs at batch 96, SGD 0.025
# cosine to 0, wd 3e-4, clip 5. Reported: 2.57 % error, 3.6 M params.
#   python tools/train.py THIS_CONFIG --work-dir DIR
#   ./tools/dist_test.sh THIS_CONFIG DIR/epoch_600.pth 1
# Another genotype: --cfg-options model.backbone.genotype=PATH.yaml (a
# search's genotype.yaml, or a shipped name such as DARTS_V2). Checkpoints
# carry their cell (meta.genotype): testing or exporting one builds that
# cell, and an explicit model.backbone.genotype that differs is an error.
_base_ = [
    '../../_base_/datasets/cifar10_darts_eval.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DartsEvalNetwork',
        genotype=None,  # explicit cell: --cfg-options model.backbone.genotype=
        default_genotype='{{fileDirname}}/PC_DARTS_cifar.yaml',
        channels=36,
        num_layers=20,
        stem_type='cifar',
        auxiliary=True,
        drop_path_prob=0.0),  # set every epoch by DropPathScheduleHook
    neck=None,
    head=dict(
        type='DartsEvalHead',
        num_classes=10,
        in_channels=576,
        aux_channels=576,
        aux_type='cifar',
        aux_weight=0.4,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)),
)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5),
)
max_epochs = 600
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0.0,
        by_epoch=True,
        begin=0,
        end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [dict(type='DropPathScheduleHook', max_prob=0.3)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
)
auto_scale_lr = dict(base_batch_size=96)
