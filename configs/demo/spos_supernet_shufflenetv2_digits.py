# SPOS stage 1 on scikit-learn's digits (real data shipped with the pip
# package): the ImageNet supernet config, shrunk to 32x32 grey digits, CPU.
_base_ = ['../nas/spos/spos_supernet_shufflenetv2_8xb128_in1k.py']

model = dict(
    architecture=dict(
        # 5 choice blocks instead of 20 (4^5 paths): trains in ~2 minutes on
        # 2 CPU cores; the ImageNet configs keep the paper's [4, 4, 8, 4].
        backbone=dict(widen_factor=0.5, stage_blocks=(1, 1, 2, 1)),
        head=dict(num_classes=10, loss=dict(num_classes=10), topk=(1, )),
    ), )

data_preprocessor = dict(
    num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=False)

demo_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='SklearnDigits',
        split='train',
        image_size=32,
        pipeline=demo_pipeline),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='SklearnDigits',
        split='val',
        image_size=32,
        pipeline=demo_pipeline),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='SklearnDigits',
        split='test',
        image_size=32,
        pipeline=demo_pipeline),
)
test_evaluator = val_evaluator

max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=0.05))
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
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
)
randomness = dict(seed=0)
# the demo's recipe: 1 process x 64 (not the ImageNet recipe's 8 x 128)
auto_scale_lr = dict(base_batch_size=64)
