"""The PC-DARTS / DARTS recipes are the reference code's, value by value.

Every value is pinned to the reference line that sets it, in the public
repositories yuhuixu1993/PC-DARTS (commit b74702f) and quark0/darts (commit
f276dd3, its files under ``cnn/``). Learning rates are checked the way they
are used: the configs' param schedulers are built as mmengine's Runner
builds them, stepped as its ``ParamSchedulerHook`` steps them (iteration
by iteration, epoch by epoch), and the lr of every iteration is compared
with the reference's formula for that epoch.

The references step their schedulers at the start of each epoch, written
for PyTorch <= 1.0 (PC-DARTS README: "pytorch(3.0.1)" [0.3.1] for the main
branch): there a scheduler is built with ``last_epoch = -1`` and its closed
form is evaluated from the base lr, so epoch ``e`` trains at the schedule's
value at ``e``, and an lr written into the param groups by hand (the
PC-DARTS warm-up) does not shift the epochs after it.
"""
import math
import os.path as osp

import pytest
import torch
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope

import mmrazor_lite  # noqa: F401  (registers the types)
from mmrazor_lite.apis import build_config
from helpers.paths import REPO

NAS = osp.join(REPO, 'configs', 'nas')
PCDARTS_SEARCH_IN1K = osp.join(NAS, 'pcdarts', 'pcdarts_search_8xb128_in1k.py')
DARTS_EVAL_CIFAR10 = osp.join(NAS, 'darts', 'darts_subnet_1xb96_cifar10.py')
DARTS_EVAL_IN1K = osp.join(NAS, 'darts', 'darts_subnet_1xb128_in1k.py')
#: iterations per epoch of the stepped schedules (the lr must hold within
#: an epoch: the references set it once per epoch)
EPOCH_LENGTH = 3


def _lr_of_every_iteration(cfg, part=None):
    """The lr of each iteration, per epoch, under ``cfg``'s schedulers.

    The optim wrapper is built from ``cfg.optim_wrapper`` on a stand-in
    model with the children the constructor asks for; the schedulers of
    ``part`` (a key of a dict ``param_scheduler``, as the Runner pairs it
    with the wrapper of that name) or of the whole list are built as
    ``Runner._build_param_scheduler`` builds them and stepped as
    ``ParamSchedulerHook`` steps them.
    """
    init_default_scope('mmrazor_lite')
    if part is None:
        model = torch.nn.Linear(2, 2)
    else:
        model = torch.nn.ModuleDict({
            name: torch.nn.Linear(2, 2)
            for name in cfg.optim_wrapper if name != 'constructor'
        })
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = cfg.param_scheduler
    if part is not None:
        assert isinstance(wrapper, OptimWrapperDict)
        wrapper, schedulers = wrapper[part], schedulers[part]
    max_epochs = cfg.train_cfg.max_epochs
    built = []
    for scheduler in schedulers:  # as Runner._build_param_scheduler
        scheduler = dict(scheduler)
        scheduler.setdefault(
            'end',
            max_epochs if scheduler.get('by_epoch', True) else max_epochs *
            EPOCH_LENGTH)
        built.append(
            PARAM_SCHEDULERS.build(
                scheduler,
                default_args=dict(
                    optimizer=wrapper, epoch_length=EPOCH_LENGTH)))
    lrs = []
    for _ in range(max_epochs):
        epoch = []
        for _ in range(EPOCH_LENGTH):
            epoch.append(wrapper.optimizer.param_groups[0]['lr'])
            wrapper.step()  # no gradients: counts the step only
            for scheduler in built:  # ParamSchedulerHook.after_train_iter
                if not scheduler.by_epoch:
                    scheduler.step()
        for scheduler in built:  # ParamSchedulerHook.after_train_epoch
            if scheduler.by_epoch:
                scheduler.step()
        lrs.append(epoch)
    return lrs


def _assert_lr_per_epoch(lrs, reference, what):
    for epoch, seen in enumerate(lrs):
        expected = reference(epoch)
        assert seen == pytest.approx([expected] * EPOCH_LENGTH, rel=1e-9), \
            f'{what}, epoch {epoch}: lr {seen}, the reference {expected}'


def _types(pipeline):
    return [t['type'] for t in pipeline]


def _hooks(cfg, hook_type):
    return [h for h in cfg.get('custom_hooks', []) if h['type'] == hook_type]


# -- item 7: PC-DARTS search on ImageNet -------------------------------------


def test_pcdarts_imagenet_search_data_is_the_reference(tmp_path):
    cfg = build_config(PCDARTS_SEARCH_IN1K, str(tmp_path))
    # PC-DARTS train_search_imagenet.py:L94-99 (weights: train_data1) and
    # L100-105 (architecture: train_data2): RandomResizedCrop(224),
    # RandomHorizontalFlip(), ToTensor(), normalize; no ColorJitter
    for loader in (cfg.train_dataloader, cfg.train_cfg.arch_dataloader):
        pipeline = loader.dataset.pipeline
        assert _types(pipeline) == [
            'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip',
            'PackInputs'
        ]
        # torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3),
        # bilinear; mmpretrain's are the same
        assert dict(pipeline[1]) == dict(type='RandomResizedCrop', scale=224)
        # RandomHorizontalFlip(): p=0.5
        assert dict(pipeline[2]) == dict(
            type='RandomFlip', prob=0.5, direction='horizontal')
    # the 10 % / 2.5 % per-class subsets: PC-DARTS
    # train_search_imagenet.py:L63 (comment), L86-87
    assert cfg.train_dataloader.dataset.ann_file == 'meta/train_10pct.txt'
    assert cfg.train_cfg.arch_dataloader.dataset.ann_file == \
        'meta/train_2.5pct.txt'
    preprocessor = cfg.data_preprocessor
    # PC-DARTS train_search_imagenet.py:L89-90 (on [0, 1] RGB tensors)
    assert preprocessor.mean == pytest.approx(
        [255 * m for m in (0.485, 0.456, 0.406)])
    assert preprocessor.std == pytest.approx(
        [255 * s for s in (0.229, 0.224, 0.225)])
    assert preprocessor.to_rgb  # torchvision's loader gives RGB


def _pcdarts_search_reference_lr(epoch):
    """The weights' lr of ``epoch`` in PC-DARTS train_search_imagenet.py."""
    # PC-DARTS train_search_imagenet.py:L27, L28, L32
    lr, lr_min, epochs = 0.5, 0.0, 50
    # PC-DARTS train_search_imagenet.py:L155-157 (batch_size 1024 > 256,
    # L26), lr = args.learning_rate (L150): the warm-up
    if epoch < 5:
        return lr * (epoch + 1) / 5.0
    # PC-DARTS train_search_imagenet.py:L146-147: CosineAnnealingLR(
    # optimizer, 50, eta_min=0) from epoch 0, stepped at each epoch's start
    # (L152): last_epoch = epoch
    cosine = (1 + math.cos(math.pi * epoch / epochs)) / 2
    return lr_min + (lr - lr_min) * cosine


def test_pcdarts_imagenet_search_weights_lr_is_the_reference(tmp_path):
    cfg = build_config(PCDARTS_SEARCH_IN1K, str(tmp_path))
    weights = cfg.optim_wrapper.architecture
    # PC-DARTS train_search_imagenet.py:L122-126
    assert weights.optimizer.type == 'SGD'
    # PC-DARTS train_search_imagenet.py:L27
    assert weights.optimizer.lr == 0.5
    # PC-DARTS train_search_imagenet.py:L29
    assert weights.optimizer.momentum == 0.9
    # PC-DARTS train_search_imagenet.py:L30
    assert weights.optimizer.weight_decay == 3e-4
    # PC-DARTS train_search_imagenet.py:L41, L213
    assert weights.clip_grad == dict(max_norm=5)
    arch = cfg.optim_wrapper.mutator
    # PC-DARTS train_search_imagenet.py:L127-129
    assert arch.optimizer.type == 'Adam'
    # PC-DARTS train_search_imagenet.py:L43
    assert arch.optimizer.lr == 6e-3
    # PC-DARTS train_search_imagenet.py:L128
    assert tuple(arch.optimizer.betas) == (0.5, 0.999)
    # PC-DARTS train_search_imagenet.py:L44
    assert arch.optimizer.weight_decay == 1e-3
    # PC-DARTS train_search_imagenet.py:L41, L204
    assert arch.clip_grad == dict(max_norm=5)
    # PC-DARTS train_search_imagenet.py:L127-129 (no scheduler on Adam)
    assert cfg.param_scheduler.mutator == []
    # PC-DARTS train_search_imagenet.py:L32
    assert cfg.train_cfg.max_epochs == 50
    # PC-DARTS train_search_imagenet.py:L45, L199
    assert cfg.train_cfg.arch_begin_epoch == 35
    # PC-DARTS train_search_imagenet.py:L26 (one batch of 1024 on 8 GPUs,
    # L118: DataParallel): 8 x 128 here
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.train_cfg.arch_dataloader.batch_size * 8 == 1024
    assert cfg.auto_scale_lr.base_batch_size == 1024
    backbone = cfg.model.architecture.backbone
    # PC-DARTS train_search_imagenet.py:L33
    assert backbone.channels == 16
    # PC-DARTS train_search_imagenet.py:L34
    assert backbone.num_layers == 8
    # PC-DARTS model_search_imagenet.py:L34 (ops on C//2), L59 (shuffle 2)
    assert backbone.k == 2
    # PC-DARTS train_search_imagenet.py:L146-158: the lr of all 50 epochs
    _assert_lr_per_epoch(
        _lr_of_every_iteration(cfg, part='architecture'),
        _pcdarts_search_reference_lr, 'PC-DARTS ImageNet search')


# -- item 8: DARTS CIFAR-10 evaluation ---------------------------------------


def test_darts_cifar10_eval_is_the_darts_recipe(tmp_path):
    cfg = build_config(DARTS_EVAL_CIFAR10, str(tmp_path))
    hooks = _hooks(cfg, 'DropPathScheduleHook')
    # darts cnn/train.py:L36 (0.2), ramped 0.2 * epoch / epochs at each
    # epoch's start (L100), as the hook does
    assert len(hooks) == 1 and hooks[0]['max_prob'] == 0.2
    assert hooks[0].get('attribute', 'backbone.drop_path_prob') == \
        'backbone.drop_path_prob'
    backbone, head = cfg.model.backbone, cfg.model.head
    # darts cnn/train.py:L39 ('DARTS'), cnn/genotypes.py:L77 (= DARTS_V2)
    assert osp.basename(backbone.default_genotype) == 'DARTS_V2.yaml'
    assert backbone.channels == 36  # darts cnn/train.py:L29
    assert backbone.num_layers == 20  # darts cnn/train.py:L30
    # darts README.md:L64 --auxiliary (darts cnn/train.py:L32, L124-126)
    assert backbone.auxiliary
    assert head.aux_weight == 0.4  # darts cnn/train.py:L33
    assert head.loss.type == 'CrossEntropyLoss'  # darts cnn/train.py:L76
    # darts README.md:L64 --cutout; darts cnn/train.py:L35, utils.py:L72-73
    assert cfg.data_preprocessor.batch_augments.augments == dict(
        type='BatchCutout', length=16)
    assert cfg.train_dataloader.batch_size == 96  # darts cnn/train.py:L22
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD'  # darts cnn/train.py:L78
    assert optimizer.lr == 0.025  # darts cnn/train.py:L23
    assert optimizer.momentum == 0.9  # darts cnn/train.py:L24
    assert optimizer.weight_decay == 3e-4  # darts cnn/train.py:L25
    # darts cnn/train.py:L40, L128
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=5)
    assert cfg.train_cfg.max_epochs == 600  # darts cnn/train.py:L28

    def reference_lr(epoch):
        # darts cnn/train.py:L95 CosineAnnealingLR(optimizer, 600) (eta_min
        # 0), stepped at each epoch's start (L98)
        return 0.025 * (1 + math.cos(math.pi * epoch / 600)) / 2

    _assert_lr_per_epoch(
        _lr_of_every_iteration(cfg), reference_lr, 'DARTS CIFAR-10')


# -- item 9: DARTS ImageNet evaluation ---------------------------------------


def test_darts_imagenet_eval_is_the_darts_recipe(tmp_path):
    cfg = build_config(DARTS_EVAL_IN1K, str(tmp_path))
    backbone, head = cfg.model.backbone, cfg.model.head
    # darts cnn/train_imagenet.py:L38 ('DARTS'), cnn/genotypes.py:L77
    # (DARTS = DARTS_V2)
    assert osp.basename(backbone.default_genotype) == 'DARTS_V2.yaml'
    assert backbone.channels == 48  # darts cnn/train_imagenet.py:L31
    assert backbone.num_layers == 14  # darts cnn/train_imagenet.py:L32
    # darts cnn/train_imagenet.py:L19 (NetworkImageNet), model.py:L166-178
    assert backbone.stem_type == 'imagenet'
    # darts README.md:L68 --auxiliary (darts cnn/train_imagenet.py:L33,
    # L184-186)
    assert backbone.auxiliary
    assert head.aux_weight == 0.4  # darts cnn/train_imagenet.py:L34
    # darts cnn/train_imagenet.py:L35 (drop_path_prob 0), L147: no drop path
    assert backbone.drop_path_prob == 0.0
    assert all(h['max_prob'] == 0.0
               for h in _hooks(cfg, 'DropPathScheduleHook'))
    # darts cnn/train_imagenet.py:L40 (0.1), L100, L149 (main and auxiliary
    # loss), L70: (1 - eps) * one_hot + eps / classes
    assert head.loss == dict(
        type='LabelSmoothLoss',
        label_smooth_val=0.1,
        num_classes=1000,
        mode='original')
    # one process of 128: darts cnn/train_imagenet.py:L24, L29, L91-94
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.auto_scale_lr.base_batch_size == 128
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD'  # darts cnn/train_imagenet.py:L103
    assert optimizer.lr == 0.1  # darts cnn/train_imagenet.py:L25
    assert optimizer.momentum == 0.9  # darts cnn/train_imagenet.py:L26
    assert optimizer.weight_decay == 3e-5  # darts cnn/train_imagenet.py:L27
    # darts cnn/train_imagenet.py:L39, L189
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=5)
    assert cfg.train_cfg.max_epochs == 250  # darts cnn/train_imagenet.py:L30
    # darts cnn/train_imagenet.py:L116-122: RandomResizedCrop(224),
    # RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, hue=0.2)
    train = cfg.train_dataloader.dataset.pipeline
    assert _types(train) == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip',
        'TorchvisionColorJitter', 'PackInputs'
    ]
    jitter = train[3]
    assert (jitter['brightness'], jitter['contrast'], jitter['saturation'],
            jitter['hue']) == (0.4, 0.4, 0.4, 0.2)
    # darts cnn/train_imagenet.py:L129-130: Resize(256), CenterCrop(224)
    test = cfg.val_dataloader.dataset.pipeline
    assert _types(test) == [
        'LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs'
    ]
    assert (test[1]['scale'], test[1]['edge'], test[2]['crop_size']) == \
        (256, 'short', 224)

    def reference_lr(epoch):
        # darts cnn/train_imagenet.py:L141 StepLR(optimizer, 1, gamma=0.97)
        # (L41-42), stepped at each epoch's start (L145): 0.1 * 0.97 ** e
        return 0.1 * 0.97**epoch

    _assert_lr_per_epoch(
        _lr_of_every_iteration(cfg), reference_lr, 'DARTS ImageNet')
