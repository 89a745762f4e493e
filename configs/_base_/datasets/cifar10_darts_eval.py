# CIFAR-10 for training a searched cell from scratch: the whole train set
# (RandomCrop 32 pad 4, flip), the test set for validation and test.
# Cutout (16 px) happens after normalisation, in the data preprocessor.
dataset_type = 'CheckedCIFAR10'
data_root = 'data/cifar10'

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.950, 113.865],
    std=[62.993, 62.089, 66.705],
    to_rgb=False,
    batch_augments=dict(augments=dict(type='BatchCutout', length=16)),
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        verify_md5=True,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        verify_md5=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
