# Train and test the DARTS (second order, DARTS_V2) CIFAR-10 cell: the
# PC-DARTS CIFAR-10 recipe with another genotype. Reported: 2.76 % error,
# 3.3 M params.
_base_ = ['../pcdarts/pcdarts_subnet_1xb96_cifar10.py']

model = dict(backbone=dict(default_genotype='{{fileDirname}}/DARTS_V2.yaml'))
