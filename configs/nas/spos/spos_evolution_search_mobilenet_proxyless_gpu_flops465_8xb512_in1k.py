# SPOS stage 2 on the MobileNet ProxylessNAS-GPU space: evolutionary search
# under a 465 M FLOPs budget.
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options load_from=SUPERNET_CKPT
# Writes best_fix_subnet.yaml, best_subnet_weights.pth, search_epoch_N.pth
# and search_top_k.txt. Search split: ImageNet val, 512 images per GPU.
_base_ = [
    '../../_base_/search_spaces/spos_mobilenet_proxyless_gpu_supernet.py',
    '../../_base_/searches/spos_evolution_search_in1k.py',
    '../../_base_/default_runtime.py',
]

model = dict(type='SPOS', architecture={{_base_.supernet}})

train_cfg = dict(
    dataloader=dict(batch_size=512),
    # 465 M multiply-adds as fvcore counts them (conv, BN, linear, pooling),
    # 224x224: MMRazor's budget, whose estimator counts within ~1.2 % of
    # fvcore (the AngleNAS subnet: 490.1 M there, 484.3 M here).
    flops_range=(None, 465e6),
    flops_convention='fvcore',
)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=-1))
