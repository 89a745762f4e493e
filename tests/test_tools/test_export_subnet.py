"""tools/model_converters/export_subnet.py: search weights -> clean subnet."""
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures import load_subnet_file
from helpers.paths import REPO, SUPERNET_CONFIG
from helpers.tools import load_module, run_tool

_tool = load_module('tools/model_converters/export_subnet.py')
ExportError, export_subnet, main = (_tool.ExportError, _tool.export_subnet,
                                    _tool.main)

SCRIPT = osp.join('tools', 'model_converters', 'export_subnet.py')
SPOS_DIR = osp.join(REPO, 'configs', 'nas', 'spos')
SUBNET_CONFIG = osp.join(SPOS_DIR, 'spos_subnet_shufflenetv2_8xb128_in1k.py')
PAPER = osp.join(SPOS_DIR, 'SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml')
MMRAZOR = osp.join(SPOS_DIR, 'SPOS_SHUFFLENETV2_330M_IN1k_MMRAZOR.yaml')
OPTIONS = {
    'model.architecture.backbone.widen_factor': 0.25,
    'model.architecture.head.num_classes': 10
}
SHAPE = (32, 32)
CANDIDATE = re.compile(r'^architecture\.(.+)\._candidates\.([^.]+)\.')


@pytest.fixture(scope='module', autouse=True)
def one_thread(one_torch_thread):
    """Every test of this module on one intra-op thread (conftest)."""


def _config():
    cfg = Config.fromfile(SUBNET_CONFIG)
    cfg.merge_from_dict(OPTIONS)
    init_default_scope('mmrazor_lite')
    return cfg


def _fixed_subnet(**kwargs):
    model = dict(_config().model, **kwargs)
    return MODELS.build(model).eval()


def _logits(model, x):
    with torch.no_grad():
        return model(x, mode='tensor')


@pytest.fixture(scope='module')
def search(tmp_path_factory):
    """A SPOS supernet set to the paper subnet, and its sliced weights."""
    torch.manual_seed(0)
    init_default_scope('mmrazor_lite')
    spos = MODELS.build(
        dict(type='SPOS', architecture=_config().model.architecture))
    # non-trivial BN state, so swapped or default buffers would show
    for m in spos.modules():
        if isinstance(m, _BatchNorm):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    paper = load_subnet_file(PAPER)
    spos.mutator.set_choices(paper)
    sliced = {}
    for key, value in spos.state_dict().items():
        match = CANDIDATE.match(key)
        if match and paper[match.group(1)] != match.group(2):
            continue  # an unchosen candidate: the search drops it
        sliced[key] = value
    ckpt = str(tmp_path_factory.mktemp('search') / 'best_subnet_weights.pth')
    torch.save({'state_dict': sliced, 'meta': {'fix_subnet': paper}}, ckpt)
    return spos, paper, ckpt


@pytest.fixture(scope='module')
def exported(search, tmp_path_factory):
    """(.pth, TorchScript, returned dict, ONNX, torch.export) of the paper
    subnet, all from one export."""
    out_dir = tmp_path_factory.mktemp('export')
    out, pt = str(out_dir / 'subnet.pth'), str(out_dir / 'subnet.pt')
    onnx, pt2 = str(out_dir / 'subnet.onnx'), str(out_dir / 'subnet.pt2')
    returned = export_subnet(
        SUBNET_CONFIG,
        search[2],
        out,
        torchscript=pt,
        shape=SHAPE,
        cfg_options=OPTIONS,
        onnx=onnx,
        torch_export=pt2)
    return out, pt, returned, onnx, pt2


@pytest.fixture(scope='module')
def from_search(search):
    """What FixedSubnet builds from the sliced checkpoint."""
    return _fixed_subnet(
        init_cfg=dict(type='Pretrained', checkpoint=search[2]))


def test_clean_keys_and_subnet_from_checkpoint(search, exported):
    out, _, returned = exported[:3]
    saved = torch.load(out, weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    keys = list(saved['state_dict'])
    assert keys == list(returned['state_dict'])
    assert keys and all(
        k.startswith(('backbone.', 'neck.', 'head.')) for k in keys)
    assert not [
        k for k in keys
        if 'architecture.' in k or 'module.' in k or '_candidates' in k
    ]
    meta = saved['meta']
    paper = dict(search[1])
    # the config's default subnet differs: the subnet came from the ckpt
    assert paper != dict(load_subnet_file(MMRAZOR))
    assert meta['fix_subnet'] == paper
    assert meta['config'] == SUBNET_CONFIG
    assert meta['source_checkpoint'] == search[2]


def test_loads_strictly_into_plain_subnet(search, exported, from_search):
    spos, _, _ = search
    state_dict = torch.load(exported[0], weights_only=True)['state_dict']
    plain = _fixed_subnet(fix_subnet=PAPER)
    x = torch.randn(2, 3, *SHAPE)
    assert not torch.allclose(_logits(plain, x), _logits(from_search, x))
    plain.load_state_dict(state_dict, strict=True)
    assert torch.equal(_logits(plain, x), _logits(from_search, x))

    # every tensor is the supernet's chosen-candidate (or shared) tensor
    supernet = spos.state_dict()
    fixed = from_search.fix_subnet
    for key, value in state_dict.items():
        block = next((p for p in fixed if key.startswith(p + '.')), None)
        src = f'architecture.{key}' if block is None else \
            f'architecture.{block}._candidates.{fixed[block]}' \
            f'{key[len(block):]}'
        assert torch.equal(value, supernet[src]), key
    first = next(iter(fixed))
    assert f'{first}.branch2.0.conv.weight' in state_dict


def test_torchscript_reproduces_logits(exported, from_search):
    scripted = torch.jit.load(exported[1])
    x = torch.randn(1, 3, *SHAPE)
    expected = _logits(from_search, x)
    assert expected.shape == (1, 10)
    with torch.no_grad():
        got = scripted(x)
    assert torch.allclose(got, expected, atol=1e-5)


def test_torchscript_mismatch_fails_loudly(search, tmp_path, monkeypatch):
    load = torch.jit.load

    class OffByOne(torch.nn.Module):

        def __init__(self, *args, **kwargs):
            super().__init__()
            self.inner = load(*args, **kwargs)

        def forward(self, x):
            return self.inner(x) + 1

    monkeypatch.setattr(torch.jit, 'load', OffByOne)
    out, pt = tmp_path / 'a.pth', tmp_path / 'a.pt'
    with pytest.raises(ExportError, match='does not reproduce'):
        export_subnet(
            SUBNET_CONFIG,
            search[2],
            str(out),
            torchscript=str(pt),
            shape=SHAPE,
            cfg_options=OPTIONS)
    assert not out.exists() and not pt.exists()


def test_cli(search, exported, tmp_path):
    out = str(tmp_path / 'cli.pth')
    options = [f'{k}={v}' for k, v in OPTIONS.items()]
    proc = run_tool([
        sys.executable, SCRIPT, SUBNET_CONFIG, search[2], '--out', out,
        '--shape', *map(str, SHAPE), '--cfg-options', *options
    ])
    assert proc.returncode == 0, proc.stderr
    n = len(exported[2]['state_dict'])
    assert f'wrote {n} tensors to {out}' in proc.stdout
    assert f'{search[2]} (meta.fix_subnet)' in proc.stdout
    cli = torch.load(out, weights_only=True)
    ref = torch.load(exported[0], weights_only=True)
    assert cli['meta'] == ref['meta']
    assert all(
        torch.equal(v, ref['state_dict'][k])
        for k, v in cli['state_dict'].items())

    missing = str(tmp_path / 'no_such.pth')
    proc = run_tool([
        sys.executable, SCRIPT, SUBNET_CONFIG, missing, '--out',
        str(tmp_path / 'x.pth')
    ])
    assert proc.returncode != 0
    assert missing in proc.stderr and 'Traceback' not in proc.stderr
    assert not (tmp_path / 'x.pth').exists()


def test_supernet_config_refused(search, tmp_path, capsys):
    out = tmp_path / 'x.pth'
    with pytest.raises(ExportError) as err:
        export_subnet(SUPERNET_CONFIG, search[2], str(out))
    assert SUPERNET_CONFIG in str(err.value)
    assert "'SPOS'" in str(err.value) and 'FixedSubnet' in str(err.value)
    assert main([SUPERNET_CONFIG, search[2], '--out', str(out)]) == 1
    assert "'SPOS'" in capsys.readouterr().err
    assert not out.exists()


def test_mobilenet_space_samples_fixes_and_exports(tmp_path):
    """The MobileNet space through the same machinery: a sampled path of
    the SPOS supernet, sliced as the search writes it, exported clean."""
    import random
    from collections import OrderedDict
    config = osp.join(SPOS_DIR,
                      'spos_subnet_mobilenet_proxyless_gpu_8xb128_in1k.py')
    options = {
        'model.architecture.backbone.widen_factor': 0.5,
        'model.architecture.head.num_classes': 10
    }
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    init_default_scope('mmrazor_lite')
    torch.manual_seed(0)
    spos = MODELS.build(dict(type='SPOS', architecture=cfg.model.architecture))
    spos.eval()
    choices = spos.mutator.sample_choices(random.Random(5))
    choices['backbone.layer3.1'] = 'identity'  # a weightless choice too
    spos.mutator.set_choices(choices)
    sliced = OrderedDict(
        (k, v) for k, v in spos.state_dict().items()
        if not (CANDIDATE.match(k) and choices[CANDIDATE.match(k).group(1)] !=
                CANDIDATE.match(k).group(2)))
    ckpt = tmp_path / 'best_subnet_weights.pth'
    torch.save({
        'state_dict': sliced,
        'meta': {
            'fix_subnet': dict(choices)
        }
    }, ckpt)
    out = tmp_path / 'mobilenet_subnet.pth'
    export_subnet(
        config, str(ckpt), str(out), shape=SHAPE, cfg_options=options)
    exported = torch.load(out, weights_only=True)
    assert exported['meta']['fix_subnet'] == dict(choices)
    plain = MODELS.build(dict(cfg.model, fix_subnet=dict(choices))).eval()
    plain.load_state_dict(exported['state_dict'], strict=True)
    x = torch.randn(2, 3, *SHAPE)
    torch.testing.assert_close(
        _logits(plain, x), _logits(spos.architecture, x), atol=1e-5, rtol=0)


# --- deployable exports (issue 14, item 4) ---------------------------------

#: the ImageNet SPOS configs' data_preprocessor (top-level in the config)
IMAGENET_PREPROCESS = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    input_size=list(SHAPE))


def _file_metas(exported):
    """The meta each of the four files carries, as written."""
    import json

    import onnxruntime
    out, pt, _, onnx, pt2 = exported
    metas = {'pth': torch.load(out, weights_only=True)['meta']}
    extra = {'meta.json': ''}
    torch.jit.load(pt, _extra_files=extra)
    metas['torchscript'] = json.loads(extra['meta.json'])
    extra = {'meta.json': ''}
    torch.export.load(pt2, extra_files=extra)
    metas['torch.export'] = json.loads(extra['meta.json'])
    stored = onnxruntime.InferenceSession(
        onnx,
        providers=['CPUExecutionProvider']).get_modelmeta().custom_metadata_map
    metas['onnx'] = {k: json.loads(v) for k, v in stored.items()}
    return metas


def test_every_export_records_preprocessing_and_subnet(search, exported):
    metas = _file_metas(exported)
    assert set(metas) == {'pth', 'torchscript', 'torch.export', 'onnx'}
    for fmt, meta in metas.items():
        pre = meta['preprocess']
        for key, value in IMAGENET_PREPROCESS.items():
            assert pre[key] == pytest.approx(value), (fmt, key)
        assert pre['type'] == 'ClsDataPreprocessor', fmt
        assert meta['fix_subnet'] == dict(search[1]), fmt
        assert meta['source_checkpoint'] == search[2], fmt


def test_model_data_preprocessor_wins_over_top_level(search, tmp_path):
    """As in training, model.data_preprocessor wins over the top level."""
    own = dict(mean=[0., 0., 0.], std=[1., 1., 255.], to_rgb=False)
    out = tmp_path / 'own.pth'
    export_subnet(
        SUBNET_CONFIG,
        search[2],
        str(out),
        shape=(40, 48),
        cfg_options=dict(OPTIONS, **{'model.data_preprocessor': own}))
    pre = torch.load(out, weights_only=True)['meta']['preprocess']
    assert {k: pre[k] for k in own} == own
    assert pre['input_size'] == [40, 48]


def test_onnx_reproduces_logits_any_batch(exported, from_search):
    import onnxruntime
    session = onnxruntime.InferenceSession(
        exported[3], providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['input']
    opsets = {
        o.domain: o.version
        for o in __import__('onnx').load(exported[3]).opset_import
    }
    assert opsets[''] == 18
    x = torch.randn(4, 3, *SHAPE)  # traced with another batch size
    got = torch.from_numpy(session.run(None, {'input': x.numpy()})[0])
    expected = _logits(from_search, x)
    assert expected.shape == (4, 10)
    assert (got - expected).abs().max().item() <= 1e-4


def test_torch_export_reproduces_logits_any_batch(exported, from_search):
    program = torch.export.load(exported[4])
    x = torch.randn(5, 3, *SHAPE)
    with torch.no_grad():
        got = program.module()(x)
    torch.testing.assert_close(got, _logits(from_search, x), atol=1e-5, rtol=0)


def test_torch_export_mismatch_fails_the_command(search, tmp_path, monkeypatch,
                                                 capsys):
    load = torch.export.load

    class OffByOne(torch.nn.Module):

        def __init__(self, program):
            super().__init__()
            self.program = program

        def forward(self, x):
            return self.program.module()(x) + 1

    def off_by_one_load(*args, **kwargs):
        program = load(*args, **kwargs)
        return type('Program', (), {'module': lambda _: OffByOne(program)})()

    monkeypatch.setattr(torch.export, 'load', off_by_one_load)
    paths = [tmp_path / name for name in ('b.pth', 'b.pt2', 'b.onnx')]
    options = [f'{k}={v}' for k, v in OPTIONS.items()]
    code = main([
        SUBNET_CONFIG, search[2], '--out',
        str(paths[0]), '--torch-export',
        str(paths[1]), '--onnx',
        str(paths[2]), '--shape', *map(str, SHAPE), '--cfg-options', *options
    ])
    assert code == 1
    err = capsys.readouterr().err
    assert 'torch.export export does not reproduce' in err
    assert 'Traceback' not in err
    assert not [p for p in paths if p.exists()]


def test_onnx_without_its_packages_names_the_extra(search, tmp_path,
                                                   monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'onnxscript', None)  # not installed
    out, onnx = tmp_path / 'c.pth', tmp_path / 'c.onnx'
    code = main(
        [SUBNET_CONFIG, search[2], '--out',
         str(out), '--onnx',
         str(onnx)])
    assert code == 1
    err = capsys.readouterr().err
    assert 'missing here: onnxscript' in err
    assert '"deploy" extra' in err and 'pip install -e ".[deploy]"' in err
    assert not out.exists() and not onnx.exists()


def test_two_outputs_on_one_path_refused(search, tmp_path):
    same = str(tmp_path / 'same')
    with pytest.raises(ExportError, match='must name different files'):
        export_subnet(
            SUBNET_CONFIG,
            search[2],
            same,
            torch_export=same,
            shape=SHAPE,
            cfg_options=OPTIONS)
    assert not osp.exists(same)
