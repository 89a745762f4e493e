# SPOS subnet retraining: the supernet schedule for 300k iterations
# (~240 epochs at 8 x 128), linear decay to 0.
_base_ = ['./imagenet_bs1024_spos.py']

max_iters = 300000
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
