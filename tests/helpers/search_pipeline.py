"""The tiny SPOS pipeline the search tests share: the digits demo config
shrunk to seconds on CPU, a run of it, and its search state files."""
import os.path as osp
import uuid

import torch

from helpers.paths import REPO

DEMO_CONFIG = osp.join(REPO, 'configs', 'demo',
                       'spos_supernet_shufflenetv2_digits.py')
IMAGE = 16


def tiny_config(work_dir, search=None, load_from=None, resume=False):
    """The digits SPOS config, shrunk; ``search``: the search loop args."""
    from mmrazor_lite.apis import build_config
    cfg = build_config(DEMO_CONFIG, str(work_dir))
    cfg.experiment_name = f'search_test_{uuid.uuid4().hex[:8]}'
    cfg.model.architecture.backbone.widen_factor = 0.25
    cfg.model.architecture.backbone.stage_blocks = (1, 1, 1, 1)
    cfg.model.architecture.backbone.last_channels = 64
    cfg.model.architecture.head.in_channels = 64
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.image_size = IMAGE
        cfg[loader].batch_size = 64
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    cfg.load_from = load_from
    if search is None:  # a few supernet training steps
        cfg.train_cfg = dict(
            type='IterBasedTrainLoop', max_iters=5, val_interval=1000)
        cfg.param_scheduler[0].end = 5
        cfg.default_hooks.checkpoint.interval = 5
        return cfg
    loop = dict(
        type='EvolutionSearchLoop',
        # 128 images of the val split are enough to rank paths here
        dataloader=dict(
            cfg.val_dataloader,
            dataset=dict(cfg.val_dataloader.dataset, indices=128)),
        evaluator=dict(type='Accuracy', topk=(1, 5)),
        calibrate_dataloader=cfg.train_dataloader,
        calibrate_samples=64,
        max_epochs=2,
        num_candidates=6,
        top_k=2,
        num_mutation=2,
        num_crossover=2,
        mutate_prob=0.5,
        input_shape=(1, 3, IMAGE, IMAGE),
        score_key='accuracy/top1',
        seed=0,
        # as tools/train.py --resume sets it
        resume_from='auto' if resume else None)
    loop.update(search)
    cfg.train_cfg = loop
    return cfg


def run(cfg):
    from mmrazor_lite.apis import build_runner
    runner = build_runner(cfg)
    runner.train()
    return runner


def train_logged(runner) -> list:
    """``runner.train()``; returns the messages its logger logged."""
    import logging
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    runner.logger.addHandler(handler)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(handler)
    return messages


def run_logged(cfg):
    """``run(cfg)``; also returns the runner logger's messages."""
    from mmrazor_lite.apis import build_runner
    runner = build_runner(cfg)
    return runner, '\n'.join(train_logged(runner))


def copy_state(src_dir, dst_dir, *generations, edit=None):
    """Copy ``search_epoch_{N}.pth`` files, changed by ``edit(state)``."""
    for n in generations:
        state = torch.load(
            osp.join(src_dir, f'search_epoch_{n}.pth'), weights_only=True)
        if edit is not None:
            edit(state)
        torch.save(state, osp.join(dst_dir, f'search_epoch_{n}.pth'))


def search_log(loop) -> str:
    import glob
    logs = glob.glob(osp.join(loop.runner.log_dir, '*.log'))
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        return f.read()
