# mydown's SPOS supernet: our algorithm and search space by their scope,
# mmpretrain's classifier inside it, trained by mmengine's Runner on
# scikit-learn's digits. Names inside mmrazor_lite.SPOS's architecture are
# built in our scope, where bare mmpretrain names resolve too.
custom_imports = dict(
    imports=['mmrazor_lite', 'mydown'], allow_failed_imports=False)
default_scope = 'mydown'

supernet = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SearchableShuffleNetV2',
        widen_factor=0.25,
        stage_blocks=(1, 2, 1, 1),
        last_channels=64),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=10, in_channels=64, topk=(1, )))
model = dict(type='mmrazor_lite.SPOS', architecture=supernet)
data_preprocessor = dict(
    num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=False)

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmrazor_lite.SklearnDigits',
        split='train',
        image_size=32,
        pipeline=[dict(type='mmpretrain.PackInputs')]),
    collate_fn=dict(type='default_collate'))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))
randomness = dict(seed=0)
