"""A user config inheriting from mmpretrain's own configs loads after our
install (issue 14, item 5): mmengine 0.10 resolves ``mmpretrain::`` with
pkg_resources, gone from setuptools >= 81, so requirements/runtime.txt pins
setuptools < 81. Without the pin this fails with ``ModuleNotFoundError: No
module named 'pkg_resources'``."""
import pytest

from mmrazor_lite.apis import build_config


@pytest.mark.parametrize('base, model', [
    ('mmpretrain::_base_/models/resnet18.py',
     'model = dict(head=dict(num_classes=10))'),
    ('mmpretrain::resnet/resnet18_8xb32_in1k.py',
     'model = dict(head=dict(num_classes=10))'),
])
def test_user_config_on_mmpretrain_base(base, model, tmp_path):
    config = tmp_path / 'my_resnet18.py'
    config.write_text(f'_base_ = [{base!r}]\n{model}\n')
    cfg = build_config(str(config), work_dir=str(tmp_path / 'work'))
    assert (cfg.model.backbone.type, cfg.model.backbone.depth) == \
        ('ResNet', 18)
    assert cfg.model.head.num_classes == 10  # the user's override
    assert cfg.model.head.in_channels == 512  # mmpretrain's, inherited
    if 'resnet18_8xb32' in base:
        assert cfg.default_scope == 'mmpretrain'
        assert cfg.train_dataloader.batch_size == 32
