# The SPOS MobileNet supernet on the ProxylessNAS-GPU layout (AngleNAS
# setting) as an mmpretrain classifier: stem 40, seven stages, last conv 1728.
supernet = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SearchableMobileNetProxyless',
        widen_factor=1.0,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU6')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1728,
        loss=dict(
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            num_classes=1000,
            mode='original'),
        topk=(1, 5)),
)
