# The SPOS ShuffleNetV2 supernet as an mmpretrain classifier.
supernet = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SearchableShuffleNetV2',
        widen_factor=1.0,
        # MMRazor: affine BN. Official SPOS supernet: affine=False.
        norm_cfg=dict(type='BN', affine=True)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            num_classes=1000,
            mode='original'),
        topk=(1, 5)),
)
