# PC-DARTS search on ImageNet (K=2, edge normalisation), the reference
# recipe on 8 GPUs x 128: the ImageNet 3-conv stem (224 px in, 28 px into
# cell 0), 8 cells, 16 channels; weights SGD 0.5 (wd 3e-4, clip 5), one
# cosine over all 50 epochs whose first 5 epochs are replaced by a linear
# warm-up (epoch e < 5 at 0.5 * (e + 1) / 5); architecture Adam 6e-3 (betas
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
# The reference (train_search_imagenet.py L146-158) sets, once per epoch,
#   epoch e < 5:  lr = 0.5 * (e + 1) / 5  (its warm-up overwrites the lr)
#   epoch e >= 5: lr = 0.5 * c(e),  c(e) = (1 + cos(pi * e / 50)) / 2
# (one cosine over all 50 epochs from epoch 0, in the closed form of the
# PyTorch <= 1.0 it was written for, so the warm-up's overwrite shifts
# nothing). mmengine's schedulers are chainable (each scales the lr it
# finds) and step in this order after every epoch: the cosine multiplies
# the lr by c(e) / c(e - 1) from epoch 1 on; then, in epochs 0..5 only,
# CosineRestartLR (periods of one epoch: every epoch a restart) sets it
# outright to 0.5 * restart_weights[e]: the warm-up, and in epoch 5 the
# value 0.5 * c(5) from which the cosine's ratios give 0.5 * c(e) exactly.
# tests/test_recipes.py steps the built schedulers through all 50 epochs.
# restart_weights[5] is c(5) of THIS length: --cfg-options
# train_cfg.max_epochs=N moves the cosine's end and T_max to N but not it;
# set it too (param_scheduler.architecture.1.restart_weights=[0.2,0.4,0.6,
# 0.8,1.0,W] with W = (1 + cos(pi * 5 / N)) / 2).
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_epochs,
            eta_min=0.0,
            by_epoch=True,
            begin=0,
            end=max_epochs),
        dict(
            type='CosineRestartLR',
            periods=[1] * (warmup_epochs + 1),
            # (e + 1) / 5 for e < 5, then c(5) = (1 + cos(pi / 10)) / 2
            restart_weights=[0.2, 0.4, 0.6, 0.8, 1.0, 0.9755282581475768],
            eta_min=0.0,
            by_epoch=True,
            begin=0,
            end=warmup_epochs + 1),
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
