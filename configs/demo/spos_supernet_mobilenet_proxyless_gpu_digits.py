# SPOS stage 1 on scikit-learn's digits with the MobileNet ProxylessNAS-GPU
# space (tools/demo.py --space mobilenet): the ShuffleNetV2 demo's data and
# schedule, the MobileNet supernet shrunk to one block per stage.
_base_ = ['./spos_supernet_shufflenetv2_digits.py']

model = dict(
    architecture=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(
            type='SearchableMobileNetProxyless',
            widen_factor=0.5,
            # 7 blocks (6 searched, 7^6 paths) instead of 22
            arch_setting=((24, 1, 1), (32, 1, 2), (56, 1, 2), (112, 1, 2),
                          (128, 1, 1), (256, 1, 2), (432, 1, 1)),
            last_channels=512),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=512,
            loss=dict(
                type='LabelSmoothLoss',
                label_smooth_val=0.1,
                num_classes=10,
                mode='original'),
            topk=(1, )),
    ), )
