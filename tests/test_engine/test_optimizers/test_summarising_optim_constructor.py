"""paramwise_cfg: the same parameter groups as mmengine's constructor, one
summary line in the log instead of one per parameter option."""
import logging
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
from mmengine.registry import DefaultScope

import mmrazor_lite  # noqa: F401  (registers our constructor)
from mmrazor_lite.registry import MODELS
from helpers.paths import REPO

CONFIG = osp.join(REPO, 'configs', 'demo',
                  'spos_supernet_shufflenetv2_digits.py')


class _Records(logging.Handler):

    def __init__(self, level=logging.INFO):
        super().__init__(level)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _groups(wrapper):
    return [{
        k: v
        for k, v in g.items() if k != 'params'
    } | {
        'ids': [id(p) for p in g['params']]
    } for g in wrapper.optimizer.param_groups]


def test_same_groups_and_one_summary_line():
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmrazor_lite'):
        model = MODELS.build(cfg.model)
        logger = MMLogger.get_instance('test_paramwise', log_level='INFO')
        records = _Records()
        logger.addHandler(records)
        try:
            # what a Runner does: the default constructor, by name
            ours = build_optim_wrapper(model, cfg.optim_wrapper.copy())
        finally:
            logger.removeHandler(records)
    wrapper_cfg = dict(cfg.optim_wrapper, type='OptimWrapper')
    paramwise_cfg = wrapper_cfg.pop('paramwise_cfg')
    theirs = DefaultOptimWrapperConstructor(wrapper_cfg, paramwise_cfg)(model)
    assert _groups(ours) == _groups(theirs)
    assert any(g['weight_decay'] == 0.0 for g in _groups(ours))
    assert not any(
        m.startswith('paramwise_options --')
        for m in records.messages), records.messages[:3]
    summary = [m for m in records.messages if 'per-parameter options' in m]
    assert len(summary) == 1 and 'log_level="DEBUG"' in summary[0]
    assert isinstance(ours.optimizer, torch.optim.SGD)


def test_debug_log_level_keeps_every_line():
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmrazor_lite'):
        model = MODELS.build(cfg.model)
        logger = MMLogger.get_instance(
            'test_paramwise_debug', log_level='DEBUG')
        records = _Records(logging.DEBUG)
        logger.addHandler(records)
        try:
            build_optim_wrapper(model, cfg.optim_wrapper.copy())
        finally:
            logger.removeHandler(records)
    assert sum(m.startswith('paramwise_options --')
               for m in records.messages) > 100
