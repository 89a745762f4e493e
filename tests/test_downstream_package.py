"""Another repo's scope builds our types from its configs (downstream_pkg/).

``mydown`` has its own scope and registries, as mmdet or mmseg have; its
configs import us with ``custom_imports`` and run under
``default_scope='mydown'``. Models are built here as its tools would
(mmengine's Config and root ``MODELS`` under its scope); the supernet is
trained by mmengine's Runner in a process of its own.
"""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmengine.utils import import_modules_from_strings

from helpers.backbone_features import backbone_features
from helpers.paths import REPO, TESTS
from helpers.tools import run_tool

# importable as ``mydown`` (pytest.ini's pythonpath), as if installed
DOWN = osp.join(TESTS, 'downstream_pkg')


def _cfg(name, **options):
    cfg = Config.fromfile(osp.join(DOWN, 'configs', name))
    cfg.merge_from_dict(options)
    import_modules_from_strings(**cfg.custom_imports)
    return cfg


def _build(cfg, model=None):
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return ROOT_MODELS.build(model or cfg.model)


@pytest.fixture(scope='module')
def searched(tmp_path_factory):
    """A 2-iteration supernet trained under mydown, and a search's files."""
    work = tmp_path_factory.mktemp('downstream_search')
    proc = run_tool(
        [
            'python',
            osp.join(DOWN, 'train_supernet.py'),
            osp.join(DOWN, 'configs', 'spos_supernet_digits.py'),
            str(work)
        ],
        env_extra=dict(
            PYTHONPATH=os.pathsep.join(
                [DOWN, REPO, os.environ.get('PYTHONPATH', '')])),
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(work), json.loads(proc.stdout.strip().splitlines()[-1])


def _supernet_on(subnet, work):
    """The trained SPOS supernet, set to ``subnet``."""
    from mmrazor_lite.fileio.checkpoint_io import load_state_dict_and_meta
    spos = _build(_cfg('spos_supernet_digits.py'))
    state_dict, _ = load_state_dict_and_meta(osp.join(work, 'iter_2.pth'))
    spos.load_state_dict(state_dict)
    spos.mutator.set_choices(subnet)
    return spos


def test_supernet_config_trains_under_the_downstream_scope(searched):
    work, done = searched
    assert (done['model'], done['architecture']) == ('SPOS', 'ImageClassifier')
    assert done['iters'] == 2 and done['scope'] == 'mydown'
    # our kill-safe CheckpointHook shadows mmengine's in our scope only
    assert done['checkpoint_hook'] == 'mmengine.hooks.checkpoint_hook'
    assert all(k.startswith('backbone.layers.') for k in done['subnet'])
    for name in ('iter_2.pth', 'best_fix_subnet.yaml',
                 'best_subnet_weights.pth'):
        assert osp.isfile(osp.join(work, name)), name


def test_search_result_is_the_backbone_of_a_downstream_classifier(searched):
    from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
    work, done = searched
    cfg = _cfg(
        'searched_backbone_classifier.py', **{
            'model.backbone.fix_subnet':
            osp.join(work, 'best_fix_subnet.yaml'),
            'model.backbone.init_cfg.checkpoint':
            osp.join(work, 'best_subnet_weights.pth')
        })
    model = _build(cfg)
    assert type(model).__name__ == 'MyClassifier'
    backbone = model.backbone
    assert type(backbone).__name__ == 'SearchableShuffleNetV2'
    assert not any(isinstance(m, OneShotChoice) for m in backbone.modules())
    assert dict(backbone.fix_subnet) == {
        k[len('backbone.'):]: v
        for k, v in done['subnet'].items()
    }
    # the searched path of the trained supernet, weights and BN statistics
    spos = _supernet_on(done['subnet'], work)
    expected = backbone_features(spos.architecture.backbone, seed=0)
    assert torch.equal(backbone_features(backbone, seed=0), expected)
    model.init_weights()  # the Runner calls it: the weights stay
    assert torch.equal(backbone_features(backbone, seed=0), expected)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_retrained_subnet_checkpoint_is_a_downstream_backbone(
        searched, tmp_path):
    """Stage 3's checkpoint (``backbone.layers...``, meta.fix_subnet)."""
    work, done = searched
    supernet = _cfg('spos_supernet_digits.py').supernet
    retrained = _build(
        _cfg('spos_supernet_digits.py'),
        dict(
            type='mmrazor_lite.FixedSubnet',
            architecture=supernet,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=osp.join(work, 'best_subnet_weights.pth'))))
    with torch.no_grad():
        for p in retrained.parameters():
            p.add_(0.01)
    ckpt = str(tmp_path / 'iter_300.pth')
    torch.save(
        dict(
            state_dict=retrained.state_dict(),
            meta=dict(fix_subnet=dict(retrained.fix_subnet))), ckpt)
    expected = backbone_features(retrained.backbone, seed=0)
    # the subnet named twice (file and meta) or only by the checkpoint
    for fix_subnet in (osp.join(work, 'best_fix_subnet.yaml'), None):
        cfg = _cfg(
            'searched_backbone_classifier.py', **{
                'model.backbone.fix_subnet': fix_subnet,
                'model.backbone.init_cfg.checkpoint': ckpt
            })
        model = _build(cfg)
        assert torch.equal(backbone_features(model.backbone, seed=0), expected)


def test_darts_eval_network_in_a_downstream_classifier(tmp_path):
    from mmrazor_lite.structures import GENOTYPES, dump_genotype
    genotype = GENOTYPES['DARTS_V2']
    path = str(tmp_path / 'genotype.yaml')  # as a DARTS search writes it
    dump_genotype(genotype, path)
    model = _build(
        _cfg('darts_eval_classifier.py', **{'model.backbone.genotype': path}))
    assert type(model.backbone).__name__ == 'DartsEvalNetwork'
    assert model.backbone.genotype.to_dict() == genotype.to_dict()
    model.init_weights()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_spos_searches_inside_a_downstream_classifier():
    """Inside our types, mydown's own types are named by their scope."""
    from mmpretrain.structures import DataSample
    cfg = _cfg('spos_supernet_digits.py')
    spos = _build(
        cfg,
        dict(
            type='mmrazor_lite.SPOS',
            architecture=dict(
                type='mydown.MyClassifier',
                in_channels=64,
                num_classes=10,
                backbone=cfg.supernet.backbone,
                data_preprocessor=dict(type='ClsDataPreprocessor'))))
    assert type(spos.architecture).__name__ == 'MyClassifier'
    assert list(spos.mutator.choices) == [
        'backbone.layers.0.0', 'backbone.layers.1.0', 'backbone.layers.1.1',
        'backbone.layers.2.0', 'backbone.layers.3.0'
    ]
    batch = dict(
        inputs=[torch.zeros(3, 32, 32, dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(i) for i in (1, 2)])
    losses = spos(**spos.data_preprocessor(batch, training=True), mode='loss')
    assert torch.isfinite(losses['loss'])
