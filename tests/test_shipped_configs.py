"""Every shipped config builds: its model, its train loop's arguments and
its hooks resolve by their registered names.

A renamed class, module or argument breaks a user's config without any
other test noticing; here each config is read as ``tools/train.py`` reads
it and every type it names is looked up in our registries.
"""
import glob
import inspect
import os.path as osp
import random

import pytest
from mmengine.registry import init_default_scope

import mmrazor_lite  # noqa: F401  (registers the types)
from mmrazor_lite.apis import build_config
from mmrazor_lite.mutators import OneShotMutator
from mmrazor_lite.registry import HOOKS, LOOPS, build_model
from helpers.paths import REPO

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'demo', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'nas', '*', '*.py')))
#: what mmengine's Runner builds from a train_cfg without a ``type``
MMENGINE_TRAIN_LOOPS = {
    True: 'EpochBasedTrainLoop',
    False: 'IterBasedTrainLoop'
}


def _loop_class(train_cfg: dict):
    """The class a ``train_cfg`` builds, and the arguments it passes."""
    args = dict(train_cfg)
    if 'type' in args:
        loop_type = args.pop('type')
    else:
        loop_type = MMENGINE_TRAIN_LOOPS[bool(args.pop('by_epoch', False))]
    loop_cls = LOOPS.get(loop_type)
    assert loop_cls is not None, f'train_cfg.type={loop_type!r} is unknown'
    return loop_cls, args


def _drawn_subnet(architecture: dict) -> dict:
    """A random path of the supernet ``architecture``, module path ->
    choice name, as a search result names it."""
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(build_model(architecture))
    mutator.set_choices(mutator.sample_choices(random.Random(0)))
    return dict(mutator.current_subnet())


def _hook_types(cfg) -> list:
    hooks = list(cfg.get('custom_hooks') or [])
    hooks += [h for h in (cfg.get('default_hooks') or {}).values() if h]
    return [h['type'] for h in hooks]


def test_every_shipped_config_is_found():
    names = {osp.basename(c) for c in CONFIGS}
    assert len(CONFIGS) >= 20
    assert 'spos_supernet_shufflenetv2_8xb128_in1k.py' in names
    assert 'spos_search_digits.py' in names


@pytest.mark.parametrize(
    'config', CONFIGS, ids=lambda c: osp.splitext(osp.basename(c))[0])
def test_shipped_config_builds_its_model_loop_and_hooks(config, tmp_path):
    cfg = build_config(config, str(tmp_path))
    init_default_scope(cfg.get('default_scope', 'mmrazor_lite'))
    model_cfg = dict(cfg.model)
    if cfg.get('data_preprocessor') is not None:  # as the Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    if model_cfg.get('type') == 'FixedSubnet' and not (
            model_cfg.get('fix_subnet') or model_cfg.get('default_subnet')):
        # the subnet comes from the checkpoint a user gives: a drawn one
        model_cfg['fix_subnet'] = _drawn_subnet(model_cfg['architecture'])
    model = build_model(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0

    loop_cls, args = _loop_class(cfg.train_cfg)
    default_args = dict(runner=object())
    if 'dataloader' not in args:  # the Runner passes train_dataloader
        default_args['dataloader'] = cfg.train_dataloader
    try:
        inspect.signature(loop_cls).bind(**default_args, **args)
    except TypeError as err:
        raise AssertionError(
            f'{config}: train_cfg does not fit {loop_cls.__name__}: '
            f'{err}') from None

    for hook_type in _hook_types(cfg):
        assert HOOKS.get(hook_type) is not None, \
            f'{config}: hook {hook_type!r} is not registered'
