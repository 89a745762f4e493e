# ImageNet subsets for the PC-DARTS search: a seeded per-class 10 % of the
# train images trains the weights and a disjoint 2.5 % the architecture
# (never the val set). Make the lists once with
#   python tools/dataset_converters/sample_imagenet_subset.py data/imagenet
# and compare the printed sha256 to know you search the same subset.
# Both splits as the reference search (PC-DARTS train_search_imagenet.py,
# L94-105): RandomResizedCrop 224, horizontal flip, normalisation; no colour
# jitter (that is the evaluation recipe's, imagenet_darts_eval.py).
dataset_type = 'CheckedImageNet'
data_root = 'data/imagenet'

data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        data_prefix='train',
        ann_file='meta/train_10pct.txt',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
arch_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        data_prefix='train',
        ann_file='meta/train_2.5pct.txt',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
