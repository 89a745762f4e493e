# SPOS schedule: SGD 0.5 at batch 1024, linear decay to 0 per iteration.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    # no weight decay on biases, norm layers and depthwise conv weights
    paramwise_cfg=dict(
        bias_decay_mult=0.0, norm_decay_mult=0.0, dwconv_decay_mult=0.0),
    clip_grad=None,
)

max_iters = 150000
param_scheduler = [
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=0,
        end=max_iters),
]

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict()
test_cfg = dict()

# --auto-scale-lr scales lr by (GPUs x batch) / 1024
auto_scale_lr = dict(base_batch_size=1024)

# iteration-based logs ("Iter(train) [k/N]")
log_processor = dict(by_epoch=False)
