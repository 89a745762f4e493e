# SPOS stages 3 and 4: retrain and test a ShuffleNetV2 subnet alone.
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options \
#       model.init_cfg.checkpoint=SEARCH_DIR/best_subnet_weights.pth
#   ./tools/dist_test.sh THIS_CONFIG none 1 \
#       --cfg-options model.init_cfg.checkpoint=DIR/iter_300000.pth
# The subnet built: model.fix_subnet if set, else the one the checkpoint
# carries (a search result or a checkpoint of this config), else
# default_subnet (MMRazor's searched subnet, 3,353,592 params).
_base_ = [
    '../../_base_/search_spaces/spos_shufflenetv2_supernet.py',
    '../../_base_/datasets/imagenet_bs128_spos.py',
    '../../_base_/schedules/imagenet_bs1024_spos_subnet.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='FixedSubnet',
    architecture={{_base_.supernet}},
    fix_subnet=None,
    # also shipped: SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml (official paper)
    default_subnet='{{fileDirname}}/SPOS_SHUFFLENETV2_330M_IN1k_MMRAZOR.yaml',
    init_cfg=dict(type='Pretrained', checkpoint=None),
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
