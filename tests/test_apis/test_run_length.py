"""One way to change a run's length (issue 23, item 5): ``--cfg-options
train_cfg.max_iters=N`` / ``train_cfg.max_epochs=N`` moves every key tied
to it, the config variable alone is refused, and a key that still
disagrees is named at start; the recipe's total batch (item 10) is
compared with the run's at ``before_train``."""
import logging
import os.path as osp
from contextlib import contextmanager

import pytest
import torch

from mmrazor_lite.apis import build_config
from helpers.paths import REPO
from helpers.search_pipeline import run_logged, tiny_config
from helpers.tools import run_tool_in_process

DEMO = osp.join(REPO, 'configs', 'demo')
SUPERNET = osp.join(DEMO, 'spos_supernet_shufflenetv2_digits.py')
SUBNET = osp.join(DEMO, 'spos_subnet_digits.py')
PCDARTS_IN1K = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                        'pcdarts_search_8xb128_in1k.py')
DIGITS_TRAIN = 1078  # images of SklearnDigits' train split


@contextmanager
def logged(level=logging.INFO):
    """The messages of the current mmengine logger at ``level`` or above."""
    from mmengine.logging import MMLogger
    records = []
    handler = logging.Handler(level)
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _lrs(param_scheduler, iterations, lr=0.05):
    """The lr each of ``iterations`` iterations trains with under these
    schedulers, built and stepped as mmengine's Runner does."""
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=lr))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in param_scheduler
    ]
    lrs = []
    for _ in range(iterations):
        lrs.append(wrapper.param_groups[0]['lr'])
        wrapper.step()
        for scheduler in schedulers:  # ParamSchedulerHook, after the step
            scheduler.step()
    return lrs


def test_max_iters_moves_the_schedule_and_the_intervals():
    with logged() as log:
        cfg = build_config(SUPERNET, cfg_options={'train_cfg.max_iters': 100})
    assert cfg.train_cfg.max_iters == 100
    poly = cfg.param_scheduler[0]
    assert poly.type == 'PolyLR' and poly.end == 100
    lrs = _lrs(cfg.param_scheduler, 100)
    # the lr falls linearly from 0.05 and iteration 100 trains at eta_min
    # (0); the config's own end (1000) left it at 0.0455 there
    assert lrs[0] == 0.05 and lrs[98] > 0
    assert all(a > b for a, b in zip(lrs, lrs[1:]))
    assert lrs[99] == pytest.approx(poly.eta_min, abs=1e-12)
    assert cfg.train_cfg.val_interval == 100
    assert cfg.default_hooks.checkpoint.interval == 100
    assert cfg.max_iters == 100  # the file's variable, kept consistent
    moved = [r for r in log if 'moves every key tied' in r]
    assert len(moved) == 1
    for line in ('param_scheduler.0.end: 1000 -> 100',
                 'train_cfg.val_interval: 1000 -> 100',
                 'default_hooks.checkpoint.interval: 1000 -> 100'):
        assert line in moved[0]
    assert not [r for r in log if 'disagree' in r]  # all agree now


def test_an_explicit_override_is_kept_and_named_when_it_disagrees():
    with logged() as log:
        cfg = build_config(
            SUPERNET,
            cfg_options={
                'train_cfg.max_iters': 100,
                'param_scheduler.0.end': 1000,
                'default_hooks.checkpoint.interval': 500,
            })
    assert cfg.param_scheduler[0].end == 1000
    assert cfg.default_hooks.checkpoint.interval == 500
    assert cfg.train_cfg.val_interval == 100  # not given: moved
    assert any('kept as given: param_scheduler.0.end=1000' in r for r in log)
    warned = [r for r in log if 'disagree' in r]
    assert len(warned) == 1, log  # one warning, each key on its line
    assert 'param_scheduler.0.end=1000 (PolyLR): ends after the run\'s ' \
        '100 iterations (train_cfg.max_iters)' in warned[0]
    assert 'eta_min=0.0' in warned[0]
    assert 'default_hooks.checkpoint.interval=500: larger than the ' \
        'run\'s 100 iterations' in warned[0]


def test_a_disagreeing_config_warns_naming_each_key(tmp_path):
    config = tmp_path / 'short_schedule.py'
    config.write_text(f'_base_ = [{SUPERNET!r}]\n'
                      'param_scheduler = [dict(type="PolyLR", eta_min=0.0, '
                      'by_epoch=False, begin=0, end=600)]\n'
                      'train_cfg = dict(val_interval=5000)\n')
    with logged(logging.WARNING) as log:
        build_config(str(config), str(tmp_path / 'work'))
    assert len(log) == 1, log
    assert 'param_scheduler.0.end=600 (PolyLR): the lr schedule ends ' \
        'before the run\'s 1000 iterations' in log[0]
    assert 'train_cfg.val_interval=5000: larger than the run' in log[0]
    assert 'short_schedule.py' in log[0]
    # a shipped config agrees with itself: nothing to say
    with logged(logging.WARNING) as log:
        build_config(SUPERNET, str(tmp_path / 'work'))
    assert log == []


def test_epochs_move_cosine_after_warmup_and_name_arch_begin_epoch():
    with logged() as log:
        cfg = build_config(
            PCDARTS_IN1K, cfg_options={'train_cfg.max_epochs': 20})
    # the reference's one cosine over the run, from epoch 0; the per-epoch
    # warm-up values (epochs 0-5) are not tied to the length
    cosine, warmup = cfg.param_scheduler.architecture
    assert (cosine.begin, cosine.end, cosine.T_max) == (0, 20, 20)
    assert (warmup.begin, warmup.end) == (0, 6)
    warned = [r for r in log if 'disagree' in r]
    assert len(warned) == 1
    assert 'train_cfg.arch_begin_epoch=35: at or after the end of the ' \
        'run\'s 20 epochs' in warned[0]


def test_the_config_variable_alone_is_refused_naming_the_one_way():
    with pytest.raises(KeyError) as err:
        build_config(SUPERNET, cfg_options={'max_iters': 100})
    message = str(err.value)
    assert 'max_iters is a variable of' in message
    assert 'Set train_cfg.max_iters=100 instead' in message
    # with the one way, the variable may follow
    cfg = build_config(
        SUPERNET, cfg_options={
            'max_iters': 100,
            'train_cfg.max_iters': 100
        })
    assert cfg.param_scheduler[0].end == 100


def test_subnet_run_checkpoints_validates_and_ends_at_eta_min(tmp_path):
    """The real command on the demo subnet config, 3 iterations."""
    subnet = tmp_path / 'subnet.yaml'
    subnet.write_text(''.join(
        f'backbone.layers.{block}: {{chosen: shuffle_3x3}}\n'
        for block in ('0.0', '1.0', '2.0', '2.1', '3.0')))
    cfg = build_config(
        SUBNET,
        cfg_options={
            'train_cfg.max_iters': 3,
            'model.fix_subnet': str(subnet)
        })
    assert cfg.train_cfg.val_interval == 3
    assert cfg.default_hooks.checkpoint.interval == 3
    work = tmp_path / 'work'
    proc = run_tool_in_process('tools/train.py', [
        SUBNET, '--work-dir',
        str(work), '--cfg-options', 'train_cfg.max_iters=3',
        f'model.fix_subnet={subnet}', 'train_dataloader.dataset.image_size=16',
        'val_dataloader.dataset.image_size=16'
    ])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'Saving checkpoint at 3 iterations' in out
    assert 'accuracy/top1' in out  # validated
    checkpoint = torch.load(work / 'iter_3.pth', weights_only=True)
    # the schedule ended with the run: lr at eta_min, not 0.0497
    assert checkpoint['optimizer']['param_groups'][0]['lr'] == \
        pytest.approx(0.0, abs=1e-12)


def _batch_message(cfg):
    from mmrazor_lite.apis import build_runner
    from mmrazor_lite.engine.hooks.run_length_check_hook import \
        recipe_batch_message
    return recipe_batch_message(build_runner(cfg))


def test_a_total_batch_other_than_the_recipe_warns_with_the_epochs(tmp_path):
    cfg = tiny_config(tmp_path)  # 1 process x 64, 5 iterations
    cfg.auto_scale_lr = dict(base_batch_size=1024)
    level, message = _batch_message(cfg)
    assert level == 'warning'
    assert 'the total batch is 64 (1 process x train_dataloader.batch_size' \
        ' 64), the recipe\'s 1024 (auto_scale_lr.base_batch_size)' in message
    now, recipe = 5 * 64 / DIGITS_TRAIN, 5 * 1024 / DIGITS_TRAIN
    assert f'the 5 iterations cover {now:.4g} epochs of the ' \
        f'{DIGITS_TRAIN} training images, the recipe {recipe:.4g}' in message
    assert '--auto-scale-lr (lr x 0.0625) with train_cfg.max_iters=80' \
        in message
    assert 'train_dataloader.batch_size=1024' in message

    # the real run logs it once, at the start of training
    cfg = tiny_config(tmp_path / 'run')
    cfg.auto_scale_lr = dict(base_batch_size=1024)
    _, log = run_logged(cfg)
    assert log.count('the recipe\'s 1024 (auto_scale_lr.base_batch_size)') \
        == 1


def test_auto_scale_lr_leaves_only_the_epochs_to_say(tmp_path):
    cfg = tiny_config(tmp_path)
    cfg.auto_scale_lr = dict(base_batch_size=1024, enable=True)
    level, message = _batch_message(cfg)
    assert level == 'info'
    assert message.startswith('--auto-scale-lr scaled the lr by 0.0625')
    assert 'What still differs: the 5 iterations cover' in message


def test_matching_totals_say_nothing(tmp_path):
    cfg = tiny_config(tmp_path)
    assert cfg.auto_scale_lr.base_batch_size == 64  # the demo's: 1 x 64
    assert _batch_message(cfg) is None
    cfg.auto_scale_lr = dict(base_batch_size=128)
    cfg.train_dataloader.batch_size = 128
    assert _batch_message(cfg) is None


SPOS_DOC = osp.join(REPO, 'docs', 'spos.md')


def test_the_documented_command_moves_what_the_doc_shows():
    from helpers.doc_blocks import marked_block, shell_commands
    from helpers.tools import load_module
    _, body = marked_block(SPOS_DOC, 'run-length')
    [command] = shell_commands(body)
    args = load_module('tools/train.py').parse_args(command[2:])
    with logged() as log:
        build_config(osp.join(REPO, args.config), cfg_options=args.cfg_options)
    [moved] = [r for r in log if 'moves every key tied' in r]
    shown = [
        line[1:].strip() for line in body.splitlines()
        if line.startswith('#   ')
    ]
    assert len(shown) == 4
    for line in shown:
        assert line in moved


class _Images:
    """A dataset of ``n`` samples (only its length is read)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def _fake_runner(loop_cls, world, batch, images, base, enable=False, **length):
    """A runner with just what the hook reads: 4 GPUs on a CPU test."""
    from types import SimpleNamespace

    from mmengine.config import Config
    loop = object.__new__(loop_cls)  # no runner, no real data loader
    loop.dataloader = SimpleNamespace(
        batch_size=batch, dataset=_Images(images))
    for key, value in length.items():
        setattr(loop, f'_{key}', value)
    cfg = Config(dict(auto_scale_lr=dict(base_batch_size=base, enable=enable)))
    return SimpleNamespace(cfg=cfg, train_loop=loop, world_size=world)


def test_the_documented_four_gpu_warning_is_the_hook_s():
    from mmengine.runner import IterBasedTrainLoop

    from mmrazor_lite.engine.hooks.run_length_check_hook import (
        DOCS, recipe_batch_message)
    from helpers.doc_blocks import marked_block
    runner = _fake_runner(
        IterBasedTrainLoop, 4, 128, 1281167, 1024, max_iters=150000)
    level, message = recipe_batch_message(runner)
    _, shown = marked_block(SPOS_DOC, 'recipe-batch-warning')
    assert level == 'warning'
    assert message.replace(DOCS, '...') == shown.strip()


def test_an_epoch_based_recipe_names_the_steps_and_auto_scale_lr():
    from mmengine.runner import EpochBasedTrainLoop

    from mmrazor_lite.engine.hooks.run_length_check_hook import \
        recipe_batch_message

    # PC-DARTS ImageNet search (8 x 128) on 2 GPUs: 2 x 128 = 256
    runner = _fake_runner(
        EpochBasedTrainLoop,
        2,
        128,
        128000,
        1024,
        max_epochs=50,
        max_iters=50 * 500)
    level, message = recipe_batch_message(runner)
    assert level == 'warning'
    assert 'the total batch is 256 (2 processes x ' in message
    assert 'the recipe\'s 1024' in message
    assert 'the 50 epochs take 25000 steps (the recipe 6250 steps of ' \
        '1024 images)' in message
    assert '--auto-scale-lr (lr x 0.25)' in message
    runner.cfg.auto_scale_lr.enable = True  # the lr scaled, same epochs
    assert recipe_batch_message(runner) is None
