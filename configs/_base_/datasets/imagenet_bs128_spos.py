# ImageNet-1k for SPOS: 128 images per GPU (8 GPUs -> 1024).
# Layout under data_root: train/<class>/<img>.JPEG and val/<class>/<img>.JPEG,
# or images plus meta/train.txt, meta/val.txt ('<path> <label>' per line).
dataset_type = 'CheckedImageNet'
data_root = 'data/imagenet'

data_preprocessor = dict(
    num_classes=1000,
    # MMRazor's normalisation (RGB, ImageNet mean / std). The official SPOS
    # code feeds BGR 0..255 unnormalised: mean=[0, 0, 0], std=[1, 1, 1],
    # to_rgb=False.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
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
        pipeline=train_pipeline),
    # iteration-based training: a sampler that never ends, so mmengine's
    # loop never stops (2 s each time) to restart the loader at epoch ends
    sampler=dict(type='InfiniteSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
