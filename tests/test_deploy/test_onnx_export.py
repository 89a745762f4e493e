"""ONNX exports (issue 14, item 4) of a SPOS subnet of the MobileNet space
and of a DARTS evaluation network, run by onnxruntime on CPU against the
PyTorch model. The ShuffleNetV2 space's exports: test_export_subnet.py."""
import json
import os.path as osp

import onnxruntime  # the "tests" extra brings "deploy": never skipped
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.deploy import ExportError, LogitsModule, onnx_bytes
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures.genotype import GENOTYPES
from helpers.paths import REPO
from helpers.tools import load_module

export_subnet = load_module(
    'tools/model_converters/export_subnet.py').export_subnet
MOBILENET_CONFIG = osp.join(
    REPO, 'configs', 'nas', 'spos',
    'spos_subnet_mobilenet_proxyless_gpu_8xb128_in1k.py')
ANGLENAS = osp.join(REPO, 'configs', 'nas', 'spos',
                    'SPOS_MOBILENET_490M_FROM_ANGELNAS.yaml')
DARTS_CONFIG = osp.join(REPO, 'configs', 'demo', 'pcdarts_subnet_digits.py')
SHAPE = (32, 32)


@pytest.fixture(scope='module', autouse=True)
def one_thread(one_torch_thread):
    """Every test of this module on one intra-op thread (conftest)."""


def _build(config, options):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    init_default_scope('mmrazor_lite')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    # non-default BN state, so lost or swapped buffers would show
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.1)
    return model


def _onnx_vs_pytorch(onnx_file, model, batch=2):
    """Max abs difference of onnxruntime's logits from the model's, and the
    file's meta."""
    session = onnxruntime.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    x = torch.randn(batch, 3, *SHAPE)
    got = torch.from_numpy(session.run(None, {'input': x.numpy()})[0])
    with torch.no_grad():
        expected = model(x, mode='tensor')
    assert got.shape == expected.shape == (batch, 10)
    meta = {
        k: json.loads(v)
        for k, v in session.get_modelmeta().custom_metadata_map.items()
    }
    return (got - expected).abs().max().item(), meta


def test_mobilenet_subnet_onnx_matches_pytorch(tmp_path):
    options = {
        'model.architecture.backbone.widen_factor': 0.5,
        'model.architecture.head.num_classes': 10
    }
    model = _build(MOBILENET_CONFIG,
                   dict(options, **{'model.fix_subnet': ANGLENAS}))
    checkpoint = str(tmp_path / 'subnet.pth')
    torch.save(
        {
            'state_dict': model.state_dict(),
            'meta': {
                'fix_subnet': dict(model.fix_subnet)
            }
        }, checkpoint)
    onnx_file = str(tmp_path / 'subnet.onnx')
    export_subnet(
        MOBILENET_CONFIG,
        checkpoint,
        str(tmp_path / 'out.pth'),
        shape=SHAPE,
        cfg_options=options,
        onnx=onnx_file)
    diff, meta = _onnx_vs_pytorch(onnx_file, model)
    assert diff <= 1e-4
    assert meta['fix_subnet'] == dict(model.fix_subnet)
    assert meta['preprocess']['to_rgb'] is True
    assert meta['preprocess']['mean'] == pytest.approx(
        [123.675, 116.28, 103.53])


def test_darts_eval_network_onnx_matches_pytorch(tmp_path):
    # 3 cells (one reduction) keep the trace short; the checkpoint's cell
    # is not the config's default, so the export must take it from meta
    options = {'model.backbone.num_layers': 3}
    model = _build(DARTS_CONFIG,
                   dict(options, **{'model.backbone.genotype': 'DARTS_V2'}))
    checkpoint = str(tmp_path / 'cell.pth')
    genotype = GENOTYPES['DARTS_V2'].to_dict()
    torch.save(
        {
            'state_dict': model.state_dict(),
            'meta': {
                'genotype': genotype
            }
        }, checkpoint)
    onnx_file = str(tmp_path / 'cell.onnx')
    export_subnet(
        DARTS_CONFIG,
        checkpoint,
        str(tmp_path / 'out.pth'),
        shape=SHAPE,
        cfg_options=options,
        onnx=onnx_file)
    diff, meta = _onnx_vs_pytorch(onnx_file, model, batch=3)
    assert diff <= 1e-4
    assert meta['genotype'] == json.loads(json.dumps(genotype))
    # the digits config's top-level data_preprocessor
    pre = meta['preprocess']
    assert (pre['mean'], pre['std'], pre['to_rgb'], pre['input_size']) == \
        ([127.5] * 3, [127.5] * 3, False, list(SHAPE))


class _Tiny(nn.Module):

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))

    def forward(self, x, mode='tensor'):
        return self.body(x)


def test_onnx_check_refuses_a_file_that_differs(monkeypatch):
    session_class = onnxruntime.InferenceSession

    class OffByOne:

        def __init__(self, *args, **kwargs):
            self.inner = session_class(*args, **kwargs)

        def run(self, *args, **kwargs):
            return [out + 1 for out in self.inner.run(*args, **kwargs)]

        def __getattr__(self, name):
            return getattr(self.inner, name)

    module = LogitsModule(_Tiny().eval()).eval()
    program = torch.export.export(
        module, (torch.randn(2, 3, *SHAPE), ),
        dynamic_shapes={'x': {
            0: torch.export.Dim('batch', min=1)
        }})
    assert onnx_bytes(program, module, SHAPE, {'k': 1})  # as is: accepted
    monkeypatch.setattr(onnxruntime, 'InferenceSession', OffByOne)
    with pytest.raises(
            ExportError,
            match=r'(?s)ONNX export does not '
            r'reproduce.*difference 1,.*nothing written'):
        onnx_bytes(program, module, SHAPE, {'k': 1})
