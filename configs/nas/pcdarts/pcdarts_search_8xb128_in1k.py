# PC-DARTS search on ImageNet (K=2, edge normalisation), the reference
# recipe on 8 GPUs x 128: the ImageNet 3-conv stem (224 px in, 28 px into
# cell 0), 8 cells, 16 channels; weights SGD 0.5 (wd 3e-4, clip 5), 5-epoch
# linear warm-up then cosine over 50 epochs; architecture Adam 6e-3 (betas
# 0.5/0.999, wd 1e-3, grad clip 5) from epoch 35. Data: the 10 % / 2.5 %
# train subsets (configs/_base_/datasets/imagenet_subset_darts_search.py).
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR
_base_ = [
    '../../_base_/datasets/imagenet_subset_darts_search.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='DARTS',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(
            type='DartsSearchNetwork',
            channels=16,
            num_layers=8,
            num_classes=None,
            stem_type='imagenet',
            k=2,
            edge_normalisation=True),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=256,
            loss=dict(type='CrossEntropyLoss'),
            topk=(1, 5))),
    mutator=dict(type='DartsMutator', init_std=1e-3),
    unroll=False,
)

optim_wrapper = dict(
    constructor='SeparateOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(
            type='SGD', lr=0.5, momentum=0.9, weight_decay=3e-4, foreach=True),
        clip_grad=dict(max_norm=5)),
    mutator=dict(
        optimizer=dict(
            type='Adam', lr=6e-3, betas=(0.5, 0.999), weight_decay=1e-3),
        clip_grad=dict(max_norm=5)),
)

max_epochs = 50
warmup_epochs = 5
param_scheduler = dict(
    architecture=[
        dict(
            type='LinearLR',
            start_factor=1.0 / warmup_epochs,
            by_epoch=True,
            begin=0,
            end=warmup_epochs,
            convert_to_iter_based=True),
        dict(
            type='CosineAnnealingLR',
            T_max=max_epochs - warmup_epochs,
            eta_min=0.0,
            by_epoch=True,
            begin=warmup_epochs,
            end=max_epochs),
    ],
    mutator=[],
)

train_cfg = dict(
    type='DartsTrainLoop',
    arch_dataloader={{_base_.arch_dataloader}},
    max_epochs=max_epochs,
    arch_begin_epoch=35,
)
# no validation: the val set is never seen by the search
val_cfg = None
val_dataloader = None
val_evaluator = None

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
auto_scale_lr = dict(base_batch_size=1024)
