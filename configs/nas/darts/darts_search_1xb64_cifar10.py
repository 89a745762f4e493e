# DARTS search on CIFAR-10 (first order): PC-DARTS's network with K=1 (every
# channel through every op) and no edge normalisation. The DARTS recipe:
# batch 64, weights SGD 0.025 cosine to 0.001, architecture Adam 3e-4
# (betas 0.5/0.999, wd 1e-3) from the first epoch.
_base_ = ['../pcdarts/pcdarts_search_1xb256_cifar10.py']

model = dict(
    architecture=dict(backbone=dict(k=1, edge_normalisation=False)),
    unroll=False,
)
optim_wrapper = dict(
    architecture=dict(optimizer=dict(lr=0.025)),
    mutator=dict(optimizer=dict(lr=3e-4)),
)
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            T_max={{_base_.max_epochs}},
            eta_min=0.001,
            by_epoch=True,
            begin=0,
            end={{_base_.max_epochs}}),
    ],
    mutator=[],
)
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
train_cfg = dict(
    arch_dataloader=dict(batch_size=64),
    arch_begin_epoch=0,
)
auto_scale_lr = dict(base_batch_size=64)
