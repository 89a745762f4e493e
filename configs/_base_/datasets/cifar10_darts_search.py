# CIFAR-10 for the DARTS / PC-DARTS search: the train set split in two
# halves, the first trains the weights, the second the architecture (the
# reference's split); both with RandomCrop(32, pad 4) + flip. Official
# python-pickle files under data_root/cifar-10-batches-py; their md5 is
# checked (verify_md5=False: test data only). Nothing is downloaded.
dataset_type = 'CheckedCIFAR10'
data_root = 'data/cifar10'

# the reference's CIFAR mean / std (x 255); images are RGB already
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.950, 113.865],
    std=[62.993, 62.089, 66.705],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        split_range=(0.0, 0.5),
        verify_md5=True,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
arch_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        split_range=(0.5, 1.0),
        verify_md5=True,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# accuracy of the supernet on the architecture half, as the reference
# reports it (the test set stays unseen during the search)
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        split_range=(0.5, 1.0),
        verify_md5=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
