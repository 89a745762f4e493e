# SPOS stage 1: train the ShuffleNetV2 supernet, one uniform path per step.
# 8 GPUs x 128 images, 150k iterations (~120 epochs).
_base_ = [
    '../../_base_/search_spaces/spos_shufflenetv2_supernet.py',
    '../../_base_/datasets/imagenet_bs128_spos.py',
    '../../_base_/schedules/imagenet_bs1024_spos.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='SPOS',
    architecture={{_base_.supernet}},
    mutator=dict(type='OneShotMutator'),
    # 'uniform' (MMRazor). The official FLOPs-binned sampler:
    # sampler=dict(type='flops_binned', min_flops=290e6, max_flops=360e6,
    #              num_bins=7, max_tries=500, convention='conv_linear'),
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
