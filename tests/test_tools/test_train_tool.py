"""tools/train.py's config handling (mmrazor_lite.apis.build_config):
--amp on one or several optim wrappers."""
import os.path as osp

import pytest

from helpers.paths import REPO

CONFIGS = osp.join(REPO, 'configs', 'nas')


def _config(path, amp=True, cfg_options=None):
    from mmrazor_lite.apis import build_config
    return build_config(
        osp.join(CONFIGS, path),
        '/tmp/unused',
        cfg_options=cfg_options,
        amp=amp)


def test_amp_on_a_single_optim_wrapper():
    cfg = _config('spos/spos_subnet_shufflenetv2_8xb128_in1k.py')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert _config('spos/spos_subnet_shufflenetv2_8xb128_in1k.py',
                   amp=False).optim_wrapper.get('type', 'OptimWrapper') == \
        'OptimWrapper'


def test_amp_on_both_darts_optim_wrappers():
    cfg = _config('pcdarts/pcdarts_search_1xb256_cifar10.py')
    wrapper = cfg.optim_wrapper
    assert wrapper.constructor == 'SeparateOptimWrapperConstructor'
    assert 'type' not in wrapper  # the constructor takes parts only
    for part in ('architecture', 'mutator'):
        assert wrapper[part].type == 'AmpOptimWrapper', part
        assert wrapper[part].loss_scale == 'dynamic', part
    assert wrapper.architecture.clip_grad == dict(max_norm=5)


def test_amp_refuses_another_wrapper_type_by_name():
    with pytest.raises(
            ValueError,
            match=r'optim_wrapper\.mutator\.type '
            r"OptimWrapper, the config has 'Custom'"):
        _config(
            'pcdarts/pcdarts_search_1xb256_cifar10.py',
            cfg_options={'optim_wrapper.mutator.type': 'Custom'})
