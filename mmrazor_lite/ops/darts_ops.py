"""The DARTS primitives and the small blocks around them, as plain modules.

These know nothing about search: the same classes serve the search cell
(``affine=False``, pools followed by a BN) and the evaluation network built
from a genotype (``affine=True``, bare pools).

Every stride-2 op maps an ``H x W`` input to ``ceil(H/2) x ceil(W/2)``, odd
sizes included, so the outputs of all candidates on an edge always agree.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor_lite.registry import MODELS

#: The 8 DARTS / PC-DARTS primitives, in the order of the architecture rows.
DARTS_PRIMITIVES = ('none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
                    'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3',
                    'dil_conv_5x5')


def _check_stride(name: str, stride: int) -> None:
    if stride not in (1, 2):
        raise ValueError(f'{name}: stride must be 1 or 2, got {stride}')


@MODELS.register_module()
class Zero(nn.Module):
    """The ``none`` op: zeros shaped like the (strided) input.

    A mixed op leaves its (exactly zero) term out of the weighted sum; the
    op is kept so a cell or genotype can name it.
    """

    def __init__(self, stride: int = 1):
        super().__init__()
        _check_stride(type(self).__name__, stride)
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)

    def extra_repr(self) -> str:
        return f'stride={self.stride}'


@MODELS.register_module()
class ReLUConvBN(nn.Module):
    """ReLU, bias-free conv, BN: the cell-input preprocessing of DARTS."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 stride: int = 1,
                 padding: int = 0,
                 affine: bool = True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            bias=False)
        self.bn = nn.BatchNorm2d(out_channels, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(self.relu(x)))


@MODELS.register_module()
class DilConv(nn.Module):
    """ReLU, depthwise kxk (dilated), pointwise 1x1, BN.

    With ``dilation=1`` this is also one half of :class:`SepConv`.
    ``padding`` defaults to ``dilation * (kernel_size - 1) // 2`` (size kept
    at stride 1, ``ceil(H/2)`` at stride 2).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: int = 1,
                 affine: bool = True):
        super().__init__()
        _check_stride(type(self).__name__, stride)
        if padding is None:
            padding = dilation * (kernel_size - 1) // 2
        self.relu = nn.ReLU(inplace=False)
        self.depthwise = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            stride,
            padding,
            dilation=dilation,
            groups=in_channels,
            bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_after_relu(self.relu(x))

    def forward_after_relu(self, x: torch.Tensor) -> torch.Tensor:
        """The op on an input already passed through ReLU (see
        :class:`PartialChannelMixedOp`, which shares one ReLU per edge)."""
        return self.bn(self.pointwise(self.depthwise(x)))


@MODELS.register_module()
class SepConv(nn.Module):
    """Two stacked (ReLU, depthwise kxk, pointwise, BN) blocks.

    The stride sits on the first depthwise conv; the first block keeps
    ``in_channels`` and the second maps to ``out_channels``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 affine: bool = True):
        super().__init__()
        self.conv1 = DilConv(in_channels, in_channels, kernel_size, stride,
                             padding, 1, affine)
        self.conv2 = DilConv(in_channels, out_channels, kernel_size, 1,
                             padding, 1, affine)
        # conv1's BN output is seen by nothing else, and BN's backward does
        # not need it: ReLU may overwrite it, one activation fewer to keep
        self.conv2.relu.inplace = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))

    def forward_after_relu(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1.forward_after_relu(x))


@MODELS.register_module()
class FactorizedReduce(nn.Module):
    """Halve H and W with two 1x1 stride-2 convs, the second shifted a pixel.

    ReLU, then ``conv_1(x)`` and ``conv_2(x shifted by one pixel)`` each give
    ``out_channels / 2``; concat, BN. The shifted input is zero-padded at the
    bottom/right so that on odd sizes both halves are ``ceil(H/2)`` (the
    reference crops instead, which only works for even sizes; on even sizes
    the padding is never sampled, so the result is the same).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 affine: bool = True):
        super().__init__()
        if out_channels % 2:
            raise ValueError(f'FactorizedReduce: out_channels must be even, '
                             f'got {out_channels}')
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(
            in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(
            in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_after_relu(self.relu(x))

    def forward_after_relu(self, x: torch.Tensor) -> torch.Tensor:
        shifted = F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        out = torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1)
        return self.bn(out)


@MODELS.register_module()
class PoolBN(nn.Module):
    """A 3x3 pool followed by BN: the pool ops of the search cell.

    The BN puts the parameter-free pool outputs on the scale of the conv ops
    before they are mixed (as in the DARTS reference).
    """

    def __init__(self,
                 pool_type: str,
                 channels: int,
                 stride: int = 1,
                 affine: bool = False):
        super().__init__()
        self.pool = _build_pool(pool_type, stride)
        self.bn = nn.BatchNorm2d(channels, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.pool(x))


def _build_pool(pool_type: str, stride: int) -> nn.Module:
    _check_stride('pool', stride)
    if pool_type == 'max':
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if pool_type == 'avg':
        return nn.AvgPool2d(
            3, stride=stride, padding=1, count_include_pad=False)
    raise ValueError(f"pool_type must be 'max' or 'avg', got {pool_type!r}")


def build_darts_op(name: str,
                   channels: int,
                   stride: int,
                   affine: bool,
                   pool_bn: bool = False) -> nn.Module:
    """Build primitive ``name`` on ``channels`` channels (in = out).

    Args:
        name (str): one of :data:`DARTS_PRIMITIVES`.
        channels (int): input and output channels.
        stride (int): 1, or 2 on the input edges of a reduction cell.
        affine (bool): learnable BN scale/shift (``False`` during search).
        pool_bn (bool): follow the pools by a BN (the search cell does; the
            evaluation network does not).
    """
    _check_stride(f'build_darts_op({name!r})', stride)
    if name == 'none':
        return Zero(stride)
    if name in ('max_pool_3x3', 'avg_pool_3x3'):
        pool_type = name.split('_')[0]
        if pool_bn:
            return PoolBN(pool_type, channels, stride, affine)
        return _build_pool(pool_type, stride)
    if name == 'skip_connect':
        if stride == 1:
            return nn.Identity()
        return FactorizedReduce(channels, channels, affine)
    if name in ('sep_conv_3x3', 'sep_conv_5x5'):
        return SepConv(
            channels, channels, int(name[-1]), stride, affine=affine)
    if name in ('dil_conv_3x3', 'dil_conv_5x5'):
        return DilConv(
            channels,
            channels,
            int(name[-1]),
            stride,
            dilation=2,
            affine=affine)
    raise ValueError(f'unknown DARTS primitive {name!r}; valid names are '
                     f'{list(DARTS_PRIMITIVES)}')
