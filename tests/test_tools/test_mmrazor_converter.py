"""MMRazor 1.x SPOS checkpoints -> mmrazor_lite, checked against MMRazor."""
import importlib.util
import os
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.algorithms.spos import SPOS
from mmrazor_lite.mutators.one_shot_mutator import OneShotMutator
from mmrazor_lite.registry import MODELS
from helpers.paths import REPO

DATA = osp.join(REPO, 'tests', 'data')
SCRIPT = osp.join(REPO, 'tools', 'model_converters',
                  'mmrazor_spos_to_mmrazor_lite.py')

_spec = importlib.util.spec_from_file_location('mmrazor_spos_converter',
                                               SCRIPT)
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)

#: space -> (backbone config, head in_channels), as MMRazor built them
SPACES = {
    'shufflenet': ('mmrazor_lite.SearchableShuffleNetV2', 1024),
    'mobilenet': ('mmrazor_lite.SearchableMobileNetProxyless', 1728),
}


def _oracle(space):
    return torch.load(
        osp.join(DATA, f'mmrazor_spos_{space}.pt'), weights_only=True)


def _classifier_cfg(space, widen_factor, num_classes):
    backbone, in_channels = SPACES[space]
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type=backbone, widen_factor=widen_factor),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=in_channels))


def _fixed_classifier(space, oracle):
    meta = oracle['meta']
    model = MODELS.build(
        _classifier_cfg(space, meta['widen_factor'], meta['num_classes']))
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    mutator.fix_subnet(oracle['choices'])
    return model


def _eval_logits(model, inputs):
    model.eval()
    with torch.no_grad():
        return model(inputs, mode='tensor')


def _as_algorithm_checkpoint(state_dict):
    """What MMRazor's SPOS algorithm saves: the classifier under
    ``architecture.`` plus state of its own."""
    out = OrderedDict(('architecture.' + k, v) for k, v in state_dict.items())
    out['mutator.some_buffer'] = torch.zeros(1)
    out['algorithm_step'] = torch.tensor(3)
    return out


# -------------------------------------------------------------- parity
@pytest.mark.parametrize('space', ['shufflenet', 'mobilenet'])
def test_parity_with_mmrazor(space):
    oracle = _oracle(space)
    converted = conv.convert_mmrazor_spos(oracle['state_dict'])
    model = _fixed_classifier(space, oracle)
    model.load_state_dict(converted, strict=True)
    logits = _eval_logits(model, oracle['input'])
    assert logits.shape == oracle['logits_eval'].shape
    torch.testing.assert_close(
        logits, oracle['logits_eval'], atol=1e-5, rtol=0)


@pytest.mark.parametrize('space', ['shufflenet', 'mobilenet'])
def test_algorithm_checkpoint_into_our_spos(space, capsys):
    oracle = _oracle(space)
    dropped = []
    converted = conv.convert_mmrazor_spos(
        _as_algorithm_checkpoint(oracle['state_dict']),
        add_prefix='architecture.',
        dropped=dropped)
    assert sorted(dropped) == ['algorithm_step', 'mutator.some_buffer']
    assert 'mutator.some_buffer' in capsys.readouterr().out
    assert all(k.startswith('architecture.') for k in converted)
    assert len(converted) == len(oracle['state_dict'])
    meta = oracle['meta']
    algo = SPOS(
        architecture=_classifier_cfg(space, meta['widen_factor'],
                                     meta['num_classes']))
    algo.mutator.fix_subnet(oracle['choices'])
    result = algo.load_state_dict(converted, strict=False)
    # only our algorithm's own path buffers are not in an MMRazor checkpoint
    assert sorted(result.missing_keys) == ['path_seed', 'path_step']
    assert result.unexpected_keys == []
    torch.testing.assert_close(
        _eval_logits(algo, oracle['input']),
        oracle['logits_eval'],
        atol=1e-5,
        rtol=0)


# ---------------------------------------------------------- key handling
def test_prefix_strip_and_add():
    sd = _oracle('shufflenet')['state_dict']
    wrapped = _as_algorithm_checkpoint(sd)
    stripped = conv.convert_mmrazor_spos(wrapped)
    assert list(stripped) == list(sd)
    assert all(stripped[k] is sd[k] for k in sd)
    added = conv.convert_mmrazor_spos(sd, add_prefix='architecture.')
    assert list(added) == ['architecture.' + k for k in sd]
    # a bare classifier state dict has nothing to drop
    dropped = []
    conv.convert_mmrazor_spos(sd, dropped=dropped)
    assert dropped == []


def test_data_preprocessor_keys_dropped():
    sd = OrderedDict(_oracle('mobilenet')['state_dict'])
    sd['data_preprocessor.mean'] = torch.zeros(3, 1, 1)
    dropped = []
    out = conv.convert_mmrazor_spos(sd, dropped=dropped)
    assert dropped == ['data_preprocessor.mean']
    assert 'data_preprocessor.mean' not in out


def test_unknown_structures_refused():
    sd = _oracle('shufflenet')['state_dict']
    bad = OrderedDict(sd)
    bad['backbone_extra.weight'] = torch.zeros(1)
    with pytest.raises(conv.ConversionError, match=r'backbone_extra\.weight'):
        conv.convert_mmrazor_spos(bad)
    legacy = OrderedDict(('architecture.model.' + k, v) for k, v in sd.items())
    with pytest.raises(conv.ConversionError, match=r'MMRazor 0\.x'):
        conv.convert_mmrazor_spos(legacy)
    with pytest.raises(conv.ConversionError, match=r'no backbone weights'):
        conv.convert_mmrazor_spos({'head.fc.weight': torch.zeros(2, 2)})
    with pytest.raises(conv.ConversionError, match=r'add_prefix'):
        conv.convert_mmrazor_spos(sd, add_prefix='model.')
    with pytest.raises(conv.ConversionError, match=r'str -> Tensor'):
        conv.convert_mmrazor_spos({'backbone.x': 1.0})
    with pytest.raises(conv.ConversionError, match=r'bare state dict'):
        conv.extract_state_dict([1, 2], 'x.pth')


# ------------------------------------------------------------------ CLI
def _run_cli(*args):
    from helpers.tools import run_tool_in_process
    return run_tool_in_process(
        'tools/model_converters/mmrazor_spos_to_mmrazor_lite.py', args)


def _run_cli_process(*args):
    from helpers.tools import run_tool
    return run_tool([sys.executable, SCRIPT, *args], timeout=300)


def test_cli_converts_and_prefixes(tmp_path):
    oracle = _oracle('shufflenet')
    src = tmp_path / 'mmrazor_algo.pth'
    torch.save(
        {
            'state_dict': _as_algorithm_checkpoint(oracle['state_dict']),
            'meta': {
                'epoch': 7
            }
        }, src)
    plain, wrapped = tmp_path / 'plain.pth', tmp_path / 'wrapped.pth'
    proc = _run_cli(str(src), str(plain))
    assert proc.returncode == 0, proc.stderr
    assert 'mutator.some_buffer' in proc.stdout
    proc = _run_cli(str(src), str(wrapped), '--prefix', 'architecture.')
    assert proc.returncode == 0, proc.stderr

    out = torch.load(plain, weights_only=True)
    assert set(out) == {'state_dict', 'meta'}
    assert out['meta']['source'] == str(src)
    assert out['meta']['source_meta'] == {'epoch': 7}
    assert sorted(out['meta']['dropped_keys']) == [
        'algorithm_step', 'mutator.some_buffer'
    ]
    model = _fixed_classifier('shufflenet', oracle)
    model.load_state_dict(out['state_dict'], strict=True)
    torch.testing.assert_close(
        _eval_logits(model, oracle['input']),
        oracle['logits_eval'],
        atol=1e-5,
        rtol=0)

    out = torch.load(wrapped, weights_only=True)
    assert list(out['state_dict']) == [
        'architecture.' + k for k in oracle['state_dict']
    ]
    assert out['meta']['prefix'] == 'architecture.'
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


def test_cli_bare_state_dict(tmp_path):
    sd = _oracle('mobilenet')['state_dict']
    src, dst = tmp_path / 'bare.pth', tmp_path / 'out.pth'
    torch.save(sd, src)
    proc = _run_cli(str(src), str(dst))
    assert proc.returncode == 0, proc.stderr
    out = torch.load(dst, weights_only=True)
    assert list(out['state_dict']) == list(sd)


def test_cli_rejects_non_checkpoints(tmp_path):
    text = tmp_path / 'notes.txt'
    text.write_text('not a checkpoint\n')
    dst = tmp_path / 'out.pth'
    proc = _run_cli_process(str(text), str(dst))  # the real command
    assert proc.returncode == 1
    assert 'notes.txt' in proc.stderr
    assert 'not a PyTorch checkpoint' in proc.stderr
    assert not dst.exists()

    listing = tmp_path / 'list.pth'
    torch.save([torch.zeros(1)], listing)
    proc = _run_cli(str(listing), str(dst))
    assert proc.returncode == 1
    assert 'list.pth' in proc.stderr and 'state_dict' in proc.stderr
    assert not dst.exists()

    proc = _run_cli(str(tmp_path / 'missing.pth'), str(dst))
    assert proc.returncode == 1 and 'does not exist' in proc.stderr


@pytest.mark.parametrize('space', ['shufflenet', 'mobilenet'])
@pytest.mark.parametrize('form', ['retrained_subnet', 'search_sliced'])
def test_converted_checkpoint_builds_its_subnet(space, form, tmp_path):
    """MMRazor's subnet checkpoints (retrained: unprefixed; search-sliced:
    under ``architecture.``) converted, then given to a subnet config as
    ``model.init_cfg.checkpoint``: the subnet comes from the weights."""
    oracle = _oracle(space)
    state = oracle['state_dict'] if form == 'retrained_subnet' else \
        _as_algorithm_checkpoint(oracle['state_dict'])
    src, dst = tmp_path / 'mmrazor.pth', tmp_path / 'ours.pth'
    torch.save({'state_dict': state, 'meta': {}}, src)
    conv.convert_file(str(src), str(dst))
    meta = oracle['meta']
    model = MODELS.build(
        dict(
            type='mmrazor_lite.FixedSubnet',
            architecture=_classifier_cfg(space, meta['widen_factor'],
                                         meta['num_classes']),
            init_cfg=dict(type='Pretrained', checkpoint=str(dst))))
    assert dict(model.fix_subnet) == dict(oracle['choices'])
    torch.testing.assert_close(
        _eval_logits(model, oracle['input']),
        oracle['logits_eval'],
        atol=1e-5,
        rtol=0)
