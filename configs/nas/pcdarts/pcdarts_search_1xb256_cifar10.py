# PC-DARTS search on CIFAR-10 (K=4, edge normalisation), the reference
# recipe: 50 epochs, batch 256, weights SGD 0.1 cosine to 0 (wd 3e-4, clip
# 5), architecture Adam 6e-4 (betas 0.5/0.999, wd 1e-3), first order,
# architecture steps from epoch 15. Writes genotype_epoch_N.yaml and
# genotype.yaml (latest) to the work dir every epoch.
#   python tools/train.py THIS_CONFIG --work-dir DIR
_base_ = [
    '../../_base_/search_spaces/darts_search_network_cifar.py',
    '../../_base_/datasets/cifar10_darts_search.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='DARTS',
    architecture={{_base_.search_network}},
    mutator=dict(type='DartsMutator', init_std=1e-3),
    unroll=False,
)

optim_wrapper = dict(
    constructor='SeparateOptimWrapperConstructor',
    # the network's weights (foreach: one multi-tensor update instead of a
    # Python loop over ~1,400 tensors; the same values; ~5 % of a CPU step;
    # CUDA's default anyway)
    architecture=dict(
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4, foreach=True),
        clip_grad=dict(max_norm=5)),
    # the architecture parameters (alpha, beta)
    mutator=dict(
        optimizer=dict(
            type='Adam', lr=6e-4, betas=(0.5, 0.999), weight_decay=1e-3)),
)

max_epochs = 50
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
    type='DartsTrainLoop',
    arch_dataloader={{_base_.arch_dataloader}},
    max_epochs=max_epochs,
    arch_begin_epoch=15,
    val_interval=5,
)
val_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
# Default: one GPU. The search is distributed too (architecture gradients
# are averaged, every rank derives the same genotype); --auto-scale-lr
# scales the weights' lr by the total batch against 256.
auto_scale_lr = dict(base_batch_size=256)
