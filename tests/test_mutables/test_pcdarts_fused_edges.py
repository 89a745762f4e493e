"""The fused search cell (edges of a state computed together) against the
edge-by-edge cell: same outputs, gradients and BN running statistics.

The reference parity of the fused path (the default) is checked by
tests/test_darts_search_space.py; here both paths of one network are run on
the same inputs. BN buffers and architecture parameters are random, so a
wrong edge order, a wrong op row or a running statistic written back to the
wrong BN shows up as a difference.
"""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.mutables.darts_arch_weights import darts_arch_weights
from mmrazor_lite.mutables.partial_channel_mixed_op import \
    PartialChannelMixedOp
from mmrazor_lite.ops.stacked_ops import (stacked_batch_norm, stacked_conv,
                                          stacked_pointwise)
from mmrazor_lite.spaces.darts_search_network import DartsSearchNetwork

pytestmark = pytest.mark.usefixtures('one_torch_thread')

# Forward values and running statistics are computed with the same
# arithmetic: only float rounding may differ. Gradients sum the same terms
# in another order (a state's edges accumulate into one input gradient; a
# depthwise weight gradient sums 64x32x32 products in oneDNN's order).
# Architecture gradients are compared directly; weight gradients, where the
# edge-by-edge float32 path itself is off by up to ~1e-5 (of the tensor's
# largest entry) from float64, against a float64 run: the fused path must
# be as accurate as the edge-by-edge one.
VALUE_TOL = 1e-6
GRAD_TOL = 1e-5
WEIGHT_GRAD_TOL = 5e-5


def rel_err(actual, expected):
    scale = expected.abs().max().clamp_min(1e-12)
    return ((actual.double() - expected.double()).abs().max() / scale).item()


def assert_near(actual, expected, tol, name=''):
    err = rel_err(actual, expected)
    assert err <= tol, f'{name}: max diff {err:.3g} x max|expected| > {tol}'


def _randomise_buffers(net):
    """Distinct running statistics per BN: eval mode then depends on using
    each edge's own buffers."""
    gen = torch.Generator().manual_seed(1)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            shape = module.running_mean.shape
            module.running_mean.copy_(torch.randn(shape, generator=gen))
            module.running_var.copy_(torch.rand(shape, generator=gen) + 0.5)


def _run(net, fuse, x, target, arch, train=True):
    net = copy.deepcopy(net)
    net.set_fuse_edges(fuse)
    net.train(train)
    leaves = {n: a.clone().requires_grad_() for n, a in arch.items()}
    calls = []
    hooks = [
        m.register_forward_hook(lambda *_: calls.append(1))
        for m in net.modules() if isinstance(m, PartialChannelMixedOp)
    ]
    logits = net(x, darts_arch_weights(leaves))
    for hook in hooks:
        hook.remove()
    F.cross_entropy(logits, target).backward()
    return dict(
        logits=logits.detach(),
        calls=len(calls),
        arch_grads={
            n: a.grad
            for n, a in leaves.items()
        },
        grads={
            n: p.grad
            for n, p in net.named_parameters()
        },
        state=net.state_dict())


CASES = [  # k, edge normalisation, channel mix, input size
    (4, True, 'shuffle', 16),
    (1, False, 'shuffle', 16),
    (2, True, 'shift', 15),  # odd size: stride-2 edges on odd maps
]


@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
@pytest.mark.parametrize('k,norm,mix,size', CASES)
def test_fused_matches_edge_by_edge(k, norm, mix, size, train):
    torch.manual_seed(0)
    # 3 layers: a normal cell and two reduction cells (1 and 2), the
    # second with a FactorizedReduce preprocess
    net = DartsSearchNetwork(
        channels=8,
        num_layers=3,
        k=k,
        edge_normalisation=norm,
        channel_mix=mix)
    _randomise_buffers(net)
    arch = {n: torch.randn(s) for n, s in net.arch_param_shapes.items()}
    x = torch.randn(4, 3, size, size)
    target = torch.randint(0, 10, (4, ))

    plain = _run(net, False, x, target, arch, train)
    fused = _run(net, True, x, target, arch, train)

    # the fused path ran: no edge is called as a module (the one edge
    # leaving a cell's last used state runs stacked too, as one)
    assert plain['calls'] == 14 * len(net.cells)
    assert fused['calls'] == 0
    assert_near(fused['logits'], plain['logits'], VALUE_TOL, 'logits')
    for name, grad in plain['arch_grads'].items():
        assert_near(fused['arch_grads'][name], grad, GRAD_TOL, name)
    # same keys; running statistics (and num_batches_tracked) as the
    # edges alone update them (eval: untouched)
    assert list(plain['state']) == list(fused['state'])
    for name, value in plain['state'].items():
        if value.is_floating_point():
            assert_near(fused['state'][name], value, VALUE_TOL, name)
        else:
            assert torch.equal(fused['state'][name], value), name
    if not train:
        for name, value in net.state_dict().items():
            assert torch.equal(fused['state'][name], value), name
        return

    exact = _run(
        copy.deepcopy(net).double(), False, x.double(), target, {
            n: a.double()
            for n, a in arch.items()
        }, train)
    assert plain['grads'].keys() == fused['grads'].keys()
    plain_errs, fused_errs = [], []
    for name, grad in exact['grads'].items():
        if grad is None:
            assert plain['grads'][name] is None, name
            assert fused['grads'][name] is None, name
            continue
        plain_errs.append(rel_err(plain['grads'][name], grad))
        fused_errs.append(rel_err(fused['grads'][name], grad))
        assert fused_errs[-1] <= WEIGHT_GRAD_TOL, name
    assert max(fused_errs) <= 2 * max(plain_errs)


def test_fuse_switch_and_state_dict():
    net = DartsSearchNetwork(channels=8, num_layers=3, k=4)
    assert all(cell.fuse_edges for cell in net.cells)
    plain = DartsSearchNetwork(channels=8, num_layers=3, k=4, fuse_edges=False)
    assert not any(cell.fuse_edges for cell in plain.cells)
    # the same modules and keys: checkpoints of either load in the other
    assert list(net.state_dict()) == list(plain.state_dict())
    plain.load_state_dict(net.state_dict())
    net.set_fuse_edges(False)
    assert not any(cell.fuse_edges for cell in net.cells)


def _bns(num, channels=3, **kwargs):
    gen = torch.Generator().manual_seed(2)
    bns = [nn.BatchNorm2d(channels, **kwargs) for _ in range(num)]
    for bn in bns:
        bn.running_mean.copy_(torch.randn(channels, generator=gen))
        bn.running_var.copy_(torch.rand(channels, generator=gen) + 0.5)
    return bns


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('affine', [False, True])
def test_stacked_batch_norm_writes_back_each_bn(momentum, affine):
    x = torch.randn(4, 9, 5, 5)
    stacked = _bns(3, momentum=momentum, affine=affine)
    alone = copy.deepcopy(stacked)
    for train in (True, False):
        for bn in stacked + alone:
            bn.train(train)
        out = stacked_batch_norm(x, stacked)
        expected = torch.cat([bn(c) for bn, c in zip(alone, x.chunk(3, 1))],
                             dim=1)
        assert_near(out, expected, VALUE_TOL, f'train={train}')
        for a, b in zip(stacked, alone):
            for key, value in b.state_dict().items():
                if value.is_floating_point():
                    assert_near(a.state_dict()[key], value, VALUE_TOL, key)
                else:
                    assert torch.equal(a.state_dict()[key], value), key
    # three distinct BNs were updated (not all from one block)
    assert not torch.equal(stacked[0].running_mean, stacked[1].running_mean)


@pytest.mark.parametrize('size', [9, 10])
@pytest.mark.parametrize('kernel,dilation,stride', [(3, 2, 2), (5, 2, 2),
                                                    (5, 1, 2), (3, 2, 1)])
def test_stacked_conv_matches_each_conv(size, kernel, dilation, stride):
    """Grouped (and, for dilation = stride, subgrid) convs give each conv's
    output."""
    torch.manual_seed(0)
    channels, num = 4, 3
    pad = dilation * (kernel - 1) // 2
    convs = [
        nn.Conv2d(
            channels,
            channels,
            kernel,
            stride,
            pad,
            dilation=dilation,
            groups=channels,
            bias=False) for _ in range(num)
    ]
    x = torch.randn(2, channels, size, size)
    stacked_in = x.repeat(1, num, 1, 1).requires_grad_()
    for channels_last in (False, True):
        out = stacked_conv(stacked_in, convs, channels_last=channels_last)
        expected = torch.cat([c(x) for c in convs], dim=1)
        assert out.shape == expected.shape
        assert_near(out, expected, VALUE_TOL, f'cl={channels_last}')
        grad_out = torch.randn_like(out)
        got = torch.autograd.grad(out,
                                  [stacked_in] + [c.weight for c in convs],
                                  grad_out)
        leaf = x.repeat(1, num, 1, 1).requires_grad_()
        want = torch.autograd.grad(
            torch.cat([c(h) for c, h in zip(convs, leaf.chunk(num, 1))], 1),
            [leaf] + [c.weight for c in convs], grad_out)
        for g, w in zip(got, want):
            assert_near(g, w, GRAD_TOL)


@pytest.mark.parametrize('bias', [False, True])
def test_stacked_pointwise_matches_each_conv(bias):
    """The batched-matmul 1x1 convs: each edge's conv on its own block of
    channels, values and gradients (input and each weight)."""
    torch.manual_seed(0)
    convs = [nn.Conv2d(4, 6, 1, bias=bias) for _ in range(3)]
    x = torch.randn(2, 12, 5, 7, requires_grad=True)
    out = stacked_pointwise(x, convs)
    expected = torch.cat(
        [conv(c) for conv, c in zip(convs, x.chunk(3, dim=1))], dim=1)
    assert out.shape == (2, 18, 5, 7)
    assert_near(out, expected, VALUE_TOL, 'values')
    grad = torch.randn_like(out)
    params = [x] + [p for conv in convs for p in conv.parameters()]
    got = torch.autograd.grad(out, params, grad)
    want = torch.autograd.grad(expected, params, grad)
    names = ['input'] + [f'param {i}' for i in range(len(params) - 1)]
    for name, a, b in zip(names, got, want):
        assert_near(a, b, GRAD_TOL, name)
    with pytest.raises(ValueError, match='1x1 stride-1 dense convs only'):
        stacked_pointwise(x, [nn.Conv2d(4, 6, 1, stride=2)] * 3)
