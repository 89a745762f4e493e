# SPOS stage 2: evolutionary search of the trained ShuffleNetV2 supernet.
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options load_from=SUPERNET_CKPT
# Writes best_fix_subnet.yaml, best_subnet_weights.pth (the subnet config's
# model.init_cfg.checkpoint), search_epoch_N.pth and search_top_k.txt.
# Search split: ImageNet val, 2048 images per GPU per batch.
_base_ = [
    '../../_base_/search_spaces/spos_shufflenetv2_supernet.py',
    '../../_base_/searches/spos_evolution_search_in1k.py',
    '../../_base_/default_runtime.py',
]

model = dict(type='SPOS', architecture={{_base_.supernet}})

train_cfg = dict(
    # FLOPs budget 330 M multiply-adds in the official SPOS convention:
    # conv + linear only, 224x224 (the paper subnet counts 321.9 M so).
    flops_range=(None, 330e6),
    flops_convention='conv_linear',
)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=-1))
