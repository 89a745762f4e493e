# Train and test the DARTS_V2 cell on ImageNet (mobile setting) with DARTS's
# own recipe (darts cnn/train_imagenet.py): the network of the PC-DARTS
# config (14 cells, 48 channels, auxiliary head 0.4 after the second
# reduction cell, no drop path), 250 epochs at batch 128 on one GPU, SGD
# 0.1, momentum 0.9, wd 3e-5, lr x 0.97 after every epoch, label smoothing
# 0.1, clip 5, ColorJitter(0.4, 0.4, 0.4, 0.2). DARTS reports 26.7 % / 8.7 %
# top-1 / top-5 error with 4.7 M params (darts README); 574 M FLOPs (the
# PC-DARTS README's table).
#   python tools/train.py THIS_CONFIG --work-dir DIR
#   ./tools/dist_test.sh THIS_CONFIG DIR/epoch_250.pth 1
_base_ = ['../pcdarts/pcdarts_subnet_8xb128_in1k.py']

model = dict(backbone=dict(default_genotype='{{fileDirname}}/DARTS_V2.yaml'))

train_dataloader = dict(batch_size=128)  # one GPU: 128 in all
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-5),
    clip_grad=dict(max_norm=5),
)
max_epochs = 250
# the reference steps StepLR(1, 0.97) at each epoch's start on PyTorch
# <= 1.0: epoch e trains at 0.1 * 0.97 ** e
param_scheduler = [
    dict(
        type='StepLR',
        step_size=1,
        gamma=0.97,
        by_epoch=True,
        begin=0,
        end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
auto_scale_lr = dict(base_batch_size=128)
