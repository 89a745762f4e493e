# SPOS stage 1 on the MobileNet ProxylessNAS-GPU space: train the supernet,
# one uniform path per step. 8 GPUs x 128 images, 150k iterations. Same
# SPOS model, mutator and recipe as ShuffleNetV2; only the space differs.
_base_ = [
    '../../_base_/search_spaces/spos_mobilenet_proxyless_gpu_supernet.py',
    '../../_base_/datasets/imagenet_bs128_spos.py',
    '../../_base_/schedules/imagenet_bs1024_spos.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='SPOS',
    architecture={{_base_.supernet}},
    mutator=dict(type='OneShotMutator'),
    sampler=dict(type='uniform'),
)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3),
)
