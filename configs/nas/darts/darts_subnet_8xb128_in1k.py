# Train and test the DARTS_V2 cell on ImageNet (mobile setting), with the
# PC-DARTS ImageNet recipe. DARTS reports 26.7 % / 8.7 % top-1 / top-5
# error (with its own, shorter recipe).
_base_ = ['../pcdarts/pcdarts_subnet_8xb128_in1k.py']

model = dict(backbone=dict(default_genotype='{{fileDirname}}/DARTS_V2.yaml'))
