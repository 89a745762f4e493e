# Train and test the DARTS (second order, DARTS_V2) CIFAR-10 cell: the
# PC-DARTS CIFAR-10 recipe, which is DARTS's own (darts cnn/train.py: 600
# epochs at batch 96, SGD 0.025 cosine to 0, wd 3e-4, clip 5, auxiliary
# 0.4, cutout 16) but for the drop path, which rises 0 -> 0.2 here as in
# DARTS (PC-DARTS: 0.3). Reported: 2.76 % error, 3.3 M params.
#   python tools/train.py THIS_CONFIG --work-dir DIR
_base_ = ['../pcdarts/pcdarts_subnet_1xb96_cifar10.py']

model = dict(backbone=dict(default_genotype='{{fileDirname}}/DARTS_V2.yaml'))

custom_hooks = [dict(type='DropPathScheduleHook', max_prob=0.2)]
