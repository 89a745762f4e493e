# SPOS stages 3 and 4 on the MobileNet ProxylessNAS-GPU space: retrain and
# test a subnet alone (commands as in spos_subnet_shufflenetv2_8xb128_in1k.py).
# The subnet built: model.fix_subnet if set, else the one the checkpoint
# carries, else default_subnet (the AngleNAS-searched subnet, 5,936,776
# params).
_base_ = [
    '../../_base_/search_spaces/spos_mobilenet_proxyless_gpu_supernet.py',
    '../../_base_/datasets/imagenet_bs128_spos.py',
    '../../_base_/schedules/imagenet_bs1024_spos_subnet.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='FixedSubnet',
    architecture={{_base_.supernet}},
    fix_subnet=None,
    default_subnet='{{fileDirname}}/SPOS_MOBILENET_490M_FROM_ANGELNAS.yaml',
    init_cfg=dict(type='Pretrained', checkpoint=None),
)

# Preprocessing is a choice here. The default is the supernet's (ImageNet
# RGB mean / std), right for subnets of your own search (stages 3-4).
# The AngleNAS checkpoint was trained WITHOUT normalisation (mean 0, std 1)
# and WITHOUT the BGR->RGB swap; to test or fine-tune it, use:
#   --cfg-options data_preprocessor.mean=[0.,0.,0.] \
#       data_preprocessor.std=[1.,1.,1.] data_preprocessor.to_rgb=False
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3),
)
# every checkpoint names its subnet (meta.fix_subnet)
custom_hooks = [dict(type='SubnetMetaHook')]
