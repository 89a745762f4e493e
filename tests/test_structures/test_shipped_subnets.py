"""The subnet yamls shipped beside the SPOS configs, and MMRazor 0.x files."""
import os.path as osp

import pytest
import torch
import yaml

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.mutators.one_shot_mutator import OneShotMutator
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures import (SubnetFileError,
                                     convert_mmrazor_legacy_subnet,
                                     load_mmrazor_legacy_subnet,
                                     load_subnet_file)
from helpers.paths import REPO

CONFIGS = osp.join(REPO, 'configs', 'nas', 'spos')
DATA = osp.join(REPO, 'tests', 'data')

SHUFFLE = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception']
PAPER = (2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)
SPACES = {
    'shufflenet': ('mmrazor_lite.SearchableShuffleNetV2', 1024),
    'mobilenet': ('mmrazor_lite.SearchableMobileNetProxyless', 1728),
}
#: yaml -> (space, exact params of the full-size fixed classifier)
SHIPPED = {
    'SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml': ('shufflenet', 3_558_952),
    'SPOS_SHUFFLENETV2_330M_IN1k_MMRAZOR.yaml': ('shufflenet', 3_353_592),
    'SPOS_MOBILENET_490M_FROM_ANGELNAS.yaml': ('mobilenet', 5_936_776),
}


def _classifier(space, widen_factor=1.0, num_classes=1000):
    backbone, in_channels = SPACES[space]
    return MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(type=backbone, widen_factor=widen_factor),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))


def _mutator(model):
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    return mutator


@pytest.fixture(scope='module')
def valid_keys():
    return {
        space: list(_mutator(_classifier(space, 0.5, 10)).choices)
        for space in SPACES
    }


# ------------------------------------------------------- shipped subnets
@pytest.mark.parametrize('name', list(SHIPPED))
def test_shipped_subnet_param_count(name):
    space, expected = SHIPPED[name]
    choices = load_subnet_file(osp.join(CONFIGS, name))
    model = _classifier(space)
    mutator = _mutator(model)
    assert list(choices) == list(mutator.choices)  # every block, in order
    mutator.fix_subnet(choices)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_paper_subnet_is_the_official_indices():
    choices = load_subnet_file(
        osp.join(CONFIGS, 'SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml'))
    assert list(choices.values()) == [SHUFFLE[i] for i in PAPER]


def test_mmrazor_subnet_equals_oracle_choices():
    oracle = torch.load(
        osp.join(DATA, 'mmrazor_spos_shufflenet.pt'), weights_only=True)
    choices = load_subnet_file(
        osp.join(CONFIGS, 'SPOS_SHUFFLENETV2_330M_IN1k_MMRAZOR.yaml'))
    assert dict(choices) == dict(oracle['choices'])
    assert list(choices) == list(oracle['choices'])


# ------------------------------------------------ MMRazor 0.x subnet files
def _legacy(choices):
    """Our ``backbone.layers.S.B`` / ``backbone.layerN.B`` keys written the
    MMRazor 0.x way."""
    out = {}
    for key, name in choices.items():
        parts = key.split('.')
        if parts[1] == 'layers':
            stage, block = int(parts[2]), int(parts[3])
        else:
            stage, block = int(parts[1][len('layer'):]) - 1, int(parts[2])
        out[f'stage_{stage}_block_{block}'] = {'chosen': [name]}
    return out


@pytest.mark.parametrize('name', list(SHIPPED))
def test_legacy_file_roundtrip(name, tmp_path, valid_keys):
    space, _ = SHIPPED[name]
    choices = load_subnet_file(osp.join(CONFIGS, name))
    path = tmp_path / 'legacy.yaml'
    path.write_text(yaml.safe_dump(_legacy(choices)))
    loaded = load_mmrazor_legacy_subnet(str(path), valid_keys[space])
    assert dict(loaded) == dict(choices)
    _mutator(_classifier(space, 0.5, 10)).fix_subnet(loaded)


def test_legacy_key_spelling(valid_keys):
    data = {
        f'stage_{s}_block_{b}': {
            'chosen': ['shuffle_3x3']
        }
        for s, n in enumerate([4, 4, 8, 4])
        for b in range(n)
    }
    data['stage_2_block_7'] = {'chosen': 'shuffle_7x7'}  # plain str read too
    out = convert_mmrazor_legacy_subnet(data, valid_keys['shufflenet'])
    assert out['backbone.layers.0.0'] == 'shuffle_3x3'
    assert out['backbone.layers.2.7'] == 'shuffle_7x7'
    mb = {
        f'stage_{s}_block_{b}': {
            'chosen': ['mb_k3e3']
        }
        for s, n in enumerate([1, 4, 4, 4, 4, 4, 1])
        for b in range(n)
    }
    out = convert_mmrazor_legacy_subnet(mb, valid_keys['mobilenet'])
    assert list(out)[:2] == ['backbone.layer1.0', 'backbone.layer2.0']
    assert list(out)[-1] == 'backbone.layer7.0'


def test_legacy_unmappable_entries_are_errors(tmp_path, valid_keys):
    good = {
        f'stage_{s}_block_{b}': {
            'chosen': ['shuffle_3x3']
        }
        for s, n in enumerate([4, 4, 8, 4])
        for b in range(n)
    }
    bad = dict(
        good,
        stage_4_block_0={'chosen': ['shuffle_3x3']},
        backbone_extra={'chosen': ['shuffle_3x3']})
    path = tmp_path / 'bad.yaml'
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(SubnetFileError) as err:
        load_mmrazor_legacy_subnet(str(path), valid_keys['shufflenet'])
    msg = str(err.value)
    assert 'bad.yaml' in msg and 'stage_4_block_0' in msg
    assert 'backbone_extra' in msg and 'backbone.layers.3.3' in msg
    # a ShuffleNet file does not fit the MobileNet space
    with pytest.raises(SubnetFileError, match=r'stage_0_block_1'):
        convert_mmrazor_legacy_subnet(good, valid_keys['mobilenet'])
    # a block left out
    partial = dict(good)
    del partial['stage_1_block_2']
    with pytest.raises(SubnetFileError, match=r"backbone\.layers\.1\.2'\]"):
        convert_mmrazor_legacy_subnet(partial, valid_keys['shufflenet'])
    with pytest.raises(SubnetFileError, match=r'chosen: NAME'):
        convert_mmrazor_legacy_subnet(
            dict(good, stage_0_block_0={'chosen': ['a', 'b']}),
            valid_keys['shufflenet'])
    with pytest.raises(SubnetFileError, match=r'expected a mapping'):
        convert_mmrazor_legacy_subnet([], valid_keys['shufflenet'])
    with pytest.raises(FileNotFoundError, match=r'nope\.yaml'):
        load_mmrazor_legacy_subnet(
            str(tmp_path / 'nope.yaml'), valid_keys['shufflenet'])
