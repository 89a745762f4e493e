"""Dilation-2 convs as undilated convs on the polyphase components."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor_lite.ops.polyphase import (from_polyphase, polyphase_applies,
                                        to_polyphase, undilated)


def test_components_round_trip():
    x = torch.randn(3, 5, 6, 8)
    parts = to_polyphase(x)
    assert parts.shape == (12, 5, 3, 4)
    assert parts.is_contiguous(memory_format=torch.channels_last)
    # component (a, b) of sample n sits at (2a + b) * N + n
    for a in (0, 1):
        for b in (0, 1):
            assert torch.equal(parts[(2 * a + b) * 3 + 1], x[1, :, a::2, b::2])
    back = from_polyphase(parts, 3)
    assert back.is_contiguous() and torch.equal(back, x)


@pytest.mark.parametrize('kernel', [3, 5])
@pytest.mark.parametrize('groups', [1, 6])
def test_dilated_conv_on_components_is_the_dilated_conv(kernel, groups):
    torch.manual_seed(0)
    conv = nn.Conv2d(
        6,
        6,
        kernel,
        padding=kernel - 1,
        dilation=2,
        groups=groups,
        bias=False)
    x = torch.randn(
        4, 6, 10,
        12).contiguous(memory_format=torch.channels_last).requires_grad_()
    assert polyphase_applies(conv, x)
    out = from_polyphase(
        F.conv2d(to_polyphase(x), conv.weight, **undilated(conv)), 4)
    expected = conv(x)
    # the same products in the same order: the same values
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    grad = torch.randn_like(out)
    got = torch.autograd.grad(out, [x, conv.weight], grad)
    want = torch.autograd.grad(expected, [x, conv.weight], grad)
    # the same terms, summed over the batch in another order: float
    # rounding of sums of ~500 products, relative to the largest entry
    for name, a, b in zip(('input', 'weight'), got, want):
        err = (a - b).abs().max() / b.abs().max()
        assert err < 1e-6, f'{name} gradient off by {err:.2g}'
    # a wrong component order would move whole pixels: far off
    wrong = from_polyphase(
        F.conv2d(to_polyphase(x).flip(0), conv.weight, **undilated(conv)), 4)
    assert (wrong - expected).abs().max() > 0.1


def test_applies_only_to_size_keeping_stride_1_dilation_2_on_even_maps():
    x = torch.randn(1, 4, 8, 8)
    dil = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4)
    assert polyphase_applies(dil, x)
    assert not polyphase_applies(dil, torch.randn(1, 4, 7, 8))  # odd
    assert not polyphase_applies(dil, torch.randn(1, 4, 8, 9))
    assert not polyphase_applies(
        nn.Conv2d(4, 4, 3, padding=2, dilation=2, stride=2), x)
    assert not polyphase_applies(nn.Conv2d(4, 4, 3, padding=1), x)
    assert not polyphase_applies(  # padding that changes the size
        nn.Conv2d(4, 4, 3, padding=1, dilation=2), x)
