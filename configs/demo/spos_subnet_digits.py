# SPOS stages 3 and 4 on scikit-learn's digits: retrain the subnet the demo
# search found (model.init_cfg.checkpoint=<search>/best_subnet_weights.pth)
# and test it (tools/test.py THIS none --cfg-options
# model.init_cfg.checkpoint=<retrained checkpoint>).
_base_ = ['./spos_supernet_shufflenetv2_digits.py']

model = dict(
    _delete_=True,
    type='FixedSubnet',
    architecture={{_base_.model.architecture}},
    fix_subnet=None,  # taken from the checkpoint
    init_cfg=dict(type='Pretrained', checkpoint=None),
)
max_iters = 300
param_scheduler = [
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=0,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
custom_hooks = [dict(type='SubnetMetaHook')]
