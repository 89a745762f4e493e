"""MobileNet (ProxylessNAS-GPU) ops and search space, against MMRazor 1.0."""
import os.path as osp

import pytest
import torch

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.mutators.one_shot_mutator import OneShotMutator
from mmrazor_lite.ops import Identity, MBBlock
from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces.searchable_mobilenet_proxyless import (
    MOBILENET_CANDIDATES, SearchableMobileNetProxyless)
from helpers.paths import DATA

ORACLE = osp.join(DATA, 'mmrazor_spos_mobilenet.pt')

# The AngleNAS-searched subnet of the spec, per stage (layer1..layer7).
ANGLENAS = [
    ['mb_k3e1'],
    ['mb_k5e3', 'mb_k5e3', 'identity', 'mb_k3e3'],
    ['mb_k3e3', 'identity', 'identity', 'mb_k3e3'],
    ['mb_k7e6', 'identity', 'mb_k7e3', 'mb_k7e3'],
    ['mb_k3e3', 'mb_k3e3', 'mb_k7e3', 'mb_k5e3'],
    ['mb_k5e6', 'mb_k7e3', 'mb_k7e3', 'mb_k7e3'],
    ['mb_k5e6'],
]


def _classifier(widen_factor, num_classes):
    return MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(
                type='mmrazor_lite.SearchableMobileNetProxyless',
                widen_factor=widen_factor),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=1728)))


def _fixed(model, choices):
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    mutator.fix_subnet(choices)
    return model


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ------------------------------------------------------------ MMRazor parity
def test_parity_with_mmrazor_supernet_path():
    oracle = torch.load(ORACLE, weights_only=True)
    assert oracle['meta']['widen_factor'] == 0.5
    model = _fixed(
        _classifier(0.5, oracle['meta']['num_classes']), oracle['choices'])
    # strict: every MMRazor key has a home here and nothing is left over
    model.load_state_dict(oracle['state_dict'], strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(oracle['input'], mode='tensor')
    assert logits.shape == oracle['logits_eval'].shape
    torch.testing.assert_close(
        logits, oracle['logits_eval'], atol=1e-5, rtol=0)


def test_widen_factor_follows_mmrazor():
    # stem 40*0.5=20 -> 24 (multiple of 8); last conv never thinned
    half = SearchableMobileNetProxyless(widen_factor=0.5)
    assert half.conv1.conv.out_channels == 24
    assert half.conv2.conv.out_channels == 1728
    widths = [
        getattr(half, f'layer{i}')
        [0]._candidates['mb_k3e1' if i == 1 else 'mb_k3e3'].out_channels
        for i in range(1, 8)
    ]
    assert widths == [16, 16, 32, 56, 64, 128, 216]
    wide = SearchableMobileNetProxyless(widen_factor=1.5)
    assert wide.conv2.conv.out_channels == int(1728 * 1.5)


def test_anglenas_subnet_param_count():
    model = _classifier(1.0, 1000)
    choices = {
        f'backbone.layer{s + 1}.{b}': name
        for s, stage in enumerate(ANGLENAS)
        for b, name in enumerate(stage)
    }
    _fixed(model, choices)
    assert _n_params(model) == 5_936_776


# ------------------------------------------------------------------ the space
def test_space_layout_and_output():
    space = SearchableMobileNetProxyless(widen_factor=0.5)
    assert space.layers == [f'layer{i}' for i in range(1, 8)] + ['conv2']
    assert [len(getattr(space, f'layer{i}')) for i in range(1, 8)] == \
        [1, 4, 4, 4, 4, 4, 1]
    assert space.layer1[0].choices == ['mb_k3e1']
    assert space.layer2[0].choices == list(MOBILENET_CANDIDATES)
    assert isinstance(space.conv2.activate, torch.nn.ReLU6)
    x = torch.randn(2, 3, 32, 32)
    outs = space(x)
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 1728, 1, 1)
    outs = SearchableMobileNetProxyless(
        widen_factor=0.5, out_indices=(1, 6))(
            x)
    assert [o.shape[1:] for o in outs] == [(16, 8, 8), (216, 1, 1)]


def test_space_candidates_overridable_and_bad_args():
    space = SearchableMobileNetProxyless(
        widen_factor=0.5,
        candidates=dict(
            k3=dict(type='MBBlock', kernel_size=3, expand_ratio=2),
            skip=dict(type='Identity')))
    assert space.layer4[2].choices == ['k3', 'skip']
    assert space.layer1[0].choices == ['mb_k3e1']
    with pytest.raises(ValueError, match=r'out_indices'):
        SearchableMobileNetProxyless(out_indices=(8, ))
    with pytest.raises(ValueError, match=r'widen_factor'):
        SearchableMobileNetProxyless(widen_factor=0)


def test_norm_eval_keeps_bn_frozen():
    space = SearchableMobileNetProxyless(widen_factor=0.5, norm_eval=True)
    space.train()
    bns = [
        m for m in space.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    assert bns and not any(m.training for m in bns)
    assert space.conv1.conv.training


def test_init_weights_sets_bn_to_one():
    space = SearchableMobileNetProxyless(widen_factor=0.5)
    torch.nn.init.zeros_(space.conv1.bn.weight)
    space.init_weights()
    assert torch.all(space.conv1.bn.weight == 1)


# --------------------------------------------------------------------- the ops
@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('name', list(MOBILENET_CANDIDATES) + ['mb_k3e1'])
def test_block_shapes(name, stride):
    cfg = dict(
        MOBILENET_CANDIDATES.get(name)
        or dict(type='MBBlock', kernel_size=3, expand_ratio=1))
    for cin, cout in [(16, 16), (16, 24)]:
        op = MODELS.build(
            dict(cfg, in_channels=cin, out_channels=cout, stride=stride))
        out = op(torch.randn(2, cin, 12, 12))
        assert out.shape == (2, cout, 12 // stride, 12 // stride)


def test_mbblock_structure():
    block = MBBlock(16, 16, kernel_size=5, expand_ratio=6, stride=1)
    assert block.expand_conv.conv.weight.shape == (96, 16, 1, 1)
    assert block.depthwise_conv.conv.weight.shape == (96, 1, 5, 5)
    assert block.linear_conv.conv.weight.shape == (16, 96, 1, 1)
    assert isinstance(block.expand_conv.activate, torch.nn.ReLU6)
    assert isinstance(block.depthwise_conv.activate, torch.nn.ReLU6)
    assert not hasattr(block.linear_conv, 'activate')  # linear bottleneck
    assert block.with_res_shortcut
    e1 = MBBlock(24, 16, kernel_size=3, expand_ratio=1)
    assert not hasattr(e1, 'expand_conv') and not e1.with_res_shortcut
    assert not MBBlock(16, 16, 3, 3, stride=2).with_res_shortcut


def test_mbblock_residual_adds_input():
    block = MBBlock(8, 8, kernel_size=3, expand_ratio=3).eval()
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        # zero the linear BN: the branch gives 0, the block returns x
        block.linear_conv.bn.weight.zero_()
        block.linear_conv.bn.bias.zero_()
        torch.testing.assert_close(block(x), x)
        block.with_res_shortcut = False
        assert torch.all(block(x) == 0)


def test_mbblock_se_flag():
    plain = MBBlock(16, 16, kernel_size=3, expand_ratio=6)
    se = MBBlock(16, 16, kernel_size=3, expand_ratio=6, with_se=True)
    assert not hasattr(plain, 'se')
    assert _n_params(se) > _n_params(plain)
    names = [n for n, _ in se.named_children()]
    assert names.index('depthwise_conv') < names.index('se') < \
        names.index('linear_conv')
    assert se(torch.randn(2, 16, 8, 8)).shape == (2, 16, 8, 8)


def test_identity_is_true_identity_when_shapes_match():
    op = Identity(16, 16, stride=1)
    assert op.downsample is None and _n_params(op) == 0
    x = torch.randn(2, 16, 5, 5)
    assert op(x) is x


@pytest.mark.parametrize('cin,cout,stride', [(16, 24, 1), (16, 16, 2),
                                             (16, 24, 2)])
def test_identity_projects_otherwise(cin, cout, stride):
    op = Identity(cin, cout, stride=stride, act_cfg=dict(type='ReLU6'))
    assert op.downsample.conv.weight.shape == (cout, cin, 1, 1)
    assert op.downsample.conv.stride == (stride, stride)
    assert not hasattr(op.downsample, 'activate')  # linear projection
    op.eval()
    x = torch.randn(2, cin, 8, 8)
    assert op(x).shape == (2, cout, 8 // stride, 8 // stride)
    assert (op(x) < 0).any()  # no activation clips the output


def test_bad_op_args():
    with pytest.raises(ValueError, match=r'stride must be 1 or 2, got 3'):
        MBBlock(8, 8, 3, 3, stride=3)
    with pytest.raises(ValueError, match=r'kernel_size .* got 4'):
        MBBlock(8, 8, 4, 3)
    with pytest.raises(ValueError, match=r'expand_ratio .* got 0'):
        MBBlock(8, 8, 3, 0)
    with pytest.raises(ValueError, match=r'stride must be 1 or 2, got 0'):
        Identity(8, 8, stride=0)
