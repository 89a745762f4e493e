"""FixedSubnet: which subnet is built, and strict loading of its weights."""
import copy
import os.path as osp
import random
from collections import OrderedDict

import pytest
import torch
import yaml

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.fileio.checkpoint_io import CheckpointError
from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures import ArchitectureMismatchError, SubnetFileError
from mmrazor_lite.subnet import fix_model, subnet_of_state_dict
from helpers.backbone_features import backbone_features
from helpers.paths import REPO

ARCH = dict(
    type='ImageClassifier',
    backbone=dict(
        type='SearchableShuffleNetV2',
        widen_factor=0.25,
        stage_blocks=(1, 2, 1, 1),
        last_channels=64),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
NAMES = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception']
BLOCKS = [
    'backbone.layers.0.0', 'backbone.layers.1.0', 'backbone.layers.1.1',
    'backbone.layers.2.0', 'backbone.layers.3.0'
]


def _subnet(seed):
    rng = random.Random(seed)
    return OrderedDict((b, rng.choice(NAMES)) for b in BLOCKS)


def _build(**kwargs):
    return MODELS.build(
        dict(
            type='FixedSubnet',
            architecture=ARCH,
            _scope_='mmrazor_lite',
            **kwargs))


def _randomise_bn(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)


@pytest.fixture(scope='module')
def spos():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='mmrazor_lite.SPOS', architecture=ARCH))
    model.init_weights()
    with torch.no_grad():
        _randomise_bn(model)
    return model


def _sliced(spos, choices):
    """The search's best_subnet_weights.pth layout."""
    keep = OrderedDict()
    for key, value in spos.state_dict().items():
        if '._candidates.' in key:
            path, rest = key[len('architecture.'):].split('._candidates.')
            if choices[path] != rest.split('.')[0]:
                continue
        keep[key] = value.clone()
    return keep


def _yaml(tmp_path, choices, name='subnet.yaml'):
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump({
            k: {
                'chosen': v
            }
            for k, v in choices.items()
        }))
    return str(path)


def _logits(model, seed=1):
    torch.manual_seed(seed)
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        return model(x, mode='tensor')


def test_fix_model_leaves_plain_ops_only(tmp_path):
    choices = _subnet(0)
    model = MODELS.build(dict(ARCH, _scope_='mmrazor_lite'))
    reference = copy.deepcopy(model)
    fixed = fix_model(model, _yaml(tmp_path, choices))
    assert dict(fixed) == dict(choices)
    assert not any(isinstance(m, OneShotChoice) for m in model.modules())
    assert not any('_candidates' in k for k in model.state_dict())
    for path, name in choices.items():
        op = model.get_submodule(path)
        assert op is reference.get_submodule(path)._candidates[name] or \
            type(op) is type(reference.get_submodule(path)._candidates[name])
    expected = sum(
        p.numel() for n, p in reference.named_parameters()
        if '._candidates.' not in n or any(f'{b}._candidates.{c}.' in n
                                           for b, c in choices.items()))
    assert sum(p.numel() for p in model.parameters()) == expected


def test_sliced_search_weights_decide_the_subnet_and_load(tmp_path, spos):
    choices = _subnet(1)
    ckpt = tmp_path / 'best_subnet_weights.pth'
    torch.save(
        dict(
            state_dict=_sliced(spos, choices),
            meta=dict(fix_subnet=dict(choices))), ckpt)
    default = _yaml(tmp_path, _subnet(2), 'default.yaml')
    model = _build(
        default_subnet=default,
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    assert dict(model.fix_subnet) == dict(choices)
    assert 'meta.fix_subnet' in model.subnet_source
    # the chosen candidates' weights, moved to plain-op keys
    sd = model.state_dict()
    for path, name in choices.items():
        key = next(k for k in sd if k.startswith(path + '.'))
        rest = key[len(path) + 1:]
        assert torch.equal(
            sd[key],
            spos.state_dict()
            [f'architecture.{path}._candidates.{name}.{rest}'])
    # init_weights (the runner calls it before training) keeps them
    model.init_weights()
    assert all(torch.equal(v, sd[k]) for k, v in model.state_dict().items())
    # same function as the supernet on that path
    spos.mutator.set_choices(choices)
    assert torch.allclose(
        _logits(model), _logits(spos.architecture), atol=1e-6)


def test_weights_without_meta_still_name_their_subnet(tmp_path, spos):
    """A converted MMRazor sliced checkpoint has no meta: keys tell."""
    choices = _subnet(3)
    ckpt = tmp_path / 'sliced_no_meta.pth'
    sliced = _sliced(spos, choices)
    assert dict(subnet_of_state_dict(sliced)) == dict(choices)
    torch.save({'state_dict': sliced}, ckpt)
    model = _build(
        default_subnet=_yaml(tmp_path, _subnet(4)),
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    assert dict(model.fix_subnet) == dict(choices)


def test_whole_supernet_checkpoint_with_explicit_subnet(tmp_path, spos):
    ckpt = tmp_path / 'supernet.pth'
    torch.save({'state_dict': spos.state_dict()}, ckpt)
    assert subnet_of_state_dict(spos.state_dict()) is None
    choices = _subnet(5)
    model = _build(
        fix_subnet=_yaml(tmp_path, choices),
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    spos.mutator.set_choices(choices)
    assert torch.allclose(
        _logits(model), _logits(spos.architecture), atol=1e-6)
    # no subnet anywhere: a clear error, not a guess
    with pytest.raises(SubnetFileError, match='model.fix_subnet'):
        _build(init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))


def test_retrained_checkpoint_roundtrip(tmp_path, spos):
    """A subnet config's own checkpoint: unprefixed, meta from the hook."""
    from mmrazor_lite.engine.hooks.subnet_meta_hook import SubnetMetaHook
    choices = _subnet(6)
    model = _build(fix_subnet=dict(choices))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
        _randomise_bn(model)
    checkpoint = {'state_dict': model.state_dict(), 'meta': {}}
    runner = type('R', (), {'model': model})()
    SubnetMetaHook().before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta']['fix_subnet'] == dict(choices)
    ckpt = tmp_path / 'iter_10.pth'
    torch.save(checkpoint, ckpt)
    again = _build(
        default_subnet=_yaml(tmp_path, _subnet(7)),
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    assert dict(again.fix_subnet) == dict(choices)
    assert torch.equal(_logits(again), _logits(model))
    # DDP-prefixed keys load too
    torch.save(
        {
            'state_dict': {
                f'module.{k}': v
                for k, v in model.state_dict().items()
            }
        }, ckpt)
    again = _build(
        fix_subnet=dict(choices),
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    assert torch.equal(_logits(again), _logits(model))


def test_explicit_subnet_disagreeing_with_weights_is_an_error(tmp_path, spos):
    choices = OrderedDict((b, 'shuffle_3x3') for b in BLOCKS)
    ckpt = tmp_path / 'best_subnet_weights.pth'
    torch.save(
        dict(
            state_dict=_sliced(spos, choices),
            meta=dict(fix_subnet=dict(choices))), ckpt)
    other = dict(choices)
    other['backbone.layers.1.1'] = 'shuffle_7x7'
    # refused on the recorded subnet, before any weight is compared
    with pytest.raises(ArchitectureMismatchError) as err:
        _build(
            fix_subnet=_yaml(tmp_path, other),
            init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    msg = str(err.value)
    assert str(ckpt) in msg
    assert ("backbone.layers.1.1: checkpoint 'shuffle_3x3' vs built "
            "'shuffle_7x7'") in msg
    assert 'backbone.layers.0.0:' not in msg  # only the differing block
    # without meta.fix_subnet the weights themselves are compared
    torch.save(dict(state_dict=_sliced(spos, choices), meta={}), ckpt)
    with pytest.raises(CheckpointError) as err:
        _build(
            fix_subnet=_yaml(tmp_path, other),
            init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    msg = str(err.value)
    assert "backbone.layers.1.1: the subnet chooses 'shuffle_7x7'" in msg
    assert "['shuffle_3x3']" in msg


def test_bad_subnet_files_name_what_is_valid(tmp_path):
    good = _subnet(8)
    unknown_key = dict(good, **{'backbone.layers.9.0': 'shuffle_3x3'})
    with pytest.raises(SubnetFileError) as err:
        _build(fix_subnet=_yaml(tmp_path, unknown_key, 'extra.yaml'))
    assert 'extra.yaml' in str(err.value)
    assert 'backbone.layers.9.0' in str(err.value)
    assert 'backbone.layers.3.0' in str(err.value)  # a valid key listed

    missing = dict(good)
    del missing['backbone.layers.2.0']
    with pytest.raises(
            SubnetFileError, match=r"missing\.yaml.*backbone\.layers\.2\.0"):
        _build(fix_subnet=_yaml(tmp_path, missing, 'missing.yaml'))

    wrong_name = dict(good, **{'backbone.layers.0.0': 'shuffle_9x9'})
    with pytest.raises(SubnetFileError) as err:
        _build(fix_subnet=_yaml(tmp_path, wrong_name, 'name.yaml'))
    assert 'shuffle_9x9' in str(err.value) and 'shuffle_xception' in \
        str(err.value) and 'name.yaml' in str(err.value)

    with pytest.raises(ValueError, match='Pretrained'):
        _build(fix_subnet=good, init_cfg=dict(type='Kaiming'))
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        _build(
            fix_subnet=good,
            init_cfg=dict(
                type='Pretrained', checkpoint=str(tmp_path / 'nothere.pth')))


def test_mmrazor_0x_subnet_file(tmp_path):
    choices = _subnet(9)
    legacy = {}
    for path, name in choices.items():
        stage, block = path.split('.')[2:4]
        legacy[f'stage_{stage}_block_{block}'] = {'chosen': [name]}
    path = tmp_path / 'legacy.yaml'
    path.write_text(yaml.safe_dump(legacy))
    model = _build(fix_subnet=str(path))
    assert dict(model.fix_subnet) == dict(choices)


def test_fix_model_can_keep_mmrazor_candidate_keys():
    """One mechanism, two layouts: plain ops, or MMRazor's _candidates."""
    from mmrazor_lite.registry import MODELS
    from mmrazor_lite.subnet import fix_model
    cfg = dict(type='mmrazor_lite.SearchableShuffleNetV2', widen_factor=0.25)
    paper = osp.join(REPO, 'configs', 'nas', 'spos',
                     'SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml')
    subnet = {
        k.replace('backbone.', ''): v['chosen']
        for k, v in yaml.safe_load(open(paper)).items()
    }
    plain, kept = MODELS.build(cfg), MODELS.build(cfg)
    assert fix_model(plain, subnet) == fix_model(
        kept, subnet, keep_candidate_keys=True)
    plain_keys, kept_keys = list(plain.state_dict()), list(kept.state_dict())
    assert len(plain_keys) == len(kept_keys)
    assert not any('_candidates' in k for k in plain_keys)
    assert all(f'{p}._candidates.{n}.' in ' '.join(kept_keys)
               for p, n in subnet.items())


# --- a searched subnet as the backbone of someone else's classifier -------
BACKBONE = ARCH['backbone']


def _build_backbone(**kwargs):
    return MODELS.build(
        dict(
            type='FixedSubnet',
            architecture=BACKBONE,
            _scope_='mmrazor_lite',
            **kwargs))


def _unprefixed(choices):
    return {k[len('backbone.'):]: v for k, v in choices.items()}


def test_bare_backbone_takes_the_files_a_search_writes(tmp_path, spos):
    choices = _subnet(10)
    ckpt = str(tmp_path / 'best_subnet_weights.pth')
    torch.save(
        dict(
            state_dict=_sliced(spos, choices),
            meta=dict(fix_subnet=dict(choices))), ckpt)
    weights = dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.')
    spos.mutator.set_choices(choices)
    expected = backbone_features(spos.architecture.backbone, seed=1)
    # the subnet file as the search wrote it (backbone.-prefixed keys), or
    # only the checkpoint's meta.fix_subnet; mmengine's prefix without '.'
    for fix_subnet, prefix in ((_yaml(tmp_path, choices), 'backbone.'),
                               (None, 'backbone')):
        backbone = _build_backbone(
            fix_subnet=fix_subnet, init_cfg=dict(weights, prefix=prefix))
        assert dict(backbone.fix_subnet) == _unprefixed(choices)
        assert not any(
            isinstance(m, OneShotChoice) for m in backbone.modules())
        assert torch.equal(backbone_features(backbone, seed=1), expected)
    # the explicit subnet is still checked against the checkpoint's
    other = dict(choices)
    other['backbone.layers.1.1'] = next(n for n in NAMES
                                        if n != choices['backbone.layers.1.1'])
    with pytest.raises(
            ArchitectureMismatchError, match=r"layers\.1\.1: checkpoint"):
        _build_backbone(
            fix_subnet=_yaml(tmp_path, other, 'other.yaml'), init_cfg=weights)
    # an MMRazor 0.x subnet file fits a bare backbone too
    legacy = {
        f'stage_{p.split(".")[2]}_block_{p.split(".")[3]}': {
            'chosen': [n]
        }
        for p, n in choices.items()
    }
    path = tmp_path / 'legacy.yaml'
    path.write_text(yaml.safe_dump(legacy))
    assert dict(_build_backbone(fix_subnet=str(path)).fix_subnet) == \
        _unprefixed(choices)


def test_bare_backbone_takes_a_retrained_subnet_checkpoint(tmp_path, spos):
    choices = _subnet(11)
    search = str(tmp_path / 'best_subnet_weights.pth')
    torch.save(
        dict(
            state_dict=_sliced(spos, choices),
            meta=dict(fix_subnet=dict(choices))), search)
    retrained = _build(init_cfg=dict(type='Pretrained', checkpoint=search))
    with torch.no_grad():
        for p in retrained.parameters():
            p.add_(0.01)
        _randomise_bn(retrained)
    ckpt = str(tmp_path / 'iter_300.pth')  # backbone.layers... keys
    torch.save(
        dict(
            state_dict=retrained.state_dict(),
            meta=dict(fix_subnet=dict(retrained.fix_subnet))), ckpt)
    backbone = _build_backbone(
        init_cfg=dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.'))
    assert dict(backbone.fix_subnet) == _unprefixed(choices)
    assert torch.equal(
        backbone_features(backbone, seed=1),
        backbone_features(retrained.backbone, seed=1))


def test_bare_backbone_errors_name_the_fix(tmp_path, spos):
    choices = _subnet(12)
    ckpt = str(tmp_path / 'best_subnet_weights.pth')
    torch.save(
        dict(
            state_dict=_sliced(spos, choices),
            meta=dict(fix_subnet=dict(choices))), ckpt)
    # keys of neither form
    neither = {k.replace('backbone.', 'trunk.'): v for k, v in choices.items()}
    with pytest.raises(SubnetFileError) as err:
        _build_backbone(fix_subnet=_yaml(tmp_path, neither, 'neither.yaml'))
    msg = str(err.value)
    assert 'neither.yaml' in msg and 'trunk.layers.0.0' in msg
    assert 'layers.0.0' in msg and 'backbone.layers.0.0' in msg
    # both forms in one file
    mixed = dict(_unprefixed(choices))
    mixed['backbone.layers.0.0'] = mixed.pop('layers.0.0')
    with pytest.raises(SubnetFileError, match=r'mixed\.yaml: keys mix'):
        _build_backbone(fix_subnet=_yaml(tmp_path, mixed, 'mixed.yaml'))
    # a prefix with nothing under it names what there is
    with pytest.raises(CheckpointError) as err:
        _build_backbone(
            init_cfg=dict(type='Pretrained', checkpoint=ckpt, prefix='neck.'))
    assert "'neck.'" in str(err.value) and "'backbone.'" in str(err.value)
    assert ckpt in str(err.value)
    # a whole classifier's weights without the prefix: say to add it
    with pytest.raises(CheckpointError, match=r"prefix='backbone\.'"):
        _build_backbone(
            fix_subnet=dict(choices),
            init_cfg=dict(type='Pretrained', checkpoint=ckpt))
    with pytest.raises(ValueError, match='prefix'):
        _build_backbone(
            fix_subnet=dict(choices),
            init_cfg=dict(
                type='Pretrained', checkpoint=ckpt, prefix=['backbone.']))
