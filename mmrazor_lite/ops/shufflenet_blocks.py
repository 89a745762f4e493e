"""ShuffleNetV2 units: the four SPOS choice blocks, as plain modules.

These know nothing about search. Parameter names follow MMRazor 1.x
(``branch1`` = the stride-2 projection branch, ``branch2`` = the main
branch, ``conv`` / ``bn`` inside each ``ConvModule``) so MMRazor checkpoints
map onto them key for key.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule

from mmrazor_lite.ops.channel_ops import channel_shuffle
from mmrazor_lite.registry import MODELS


def _check_channels(name, in_channels, out_channels, stride):
    if stride not in (1, 2):
        raise ValueError(f'{name}: stride must be 1 or 2, got {stride}')
    if out_channels % 2:
        raise ValueError(f'{name}: out_channels must be even, '
                         f'got {out_channels}')
    if stride == 1 and in_channels != out_channels:
        raise ValueError(
            f'{name}: a stride-1 unit keeps its width, but in_channels='
            f'{in_channels} != out_channels={out_channels}')


class _ShuffleUnit(nn.Module):
    """Shared forward of a ShuffleNetV2 unit: split or project, concat and
    shuffle."""

    branch1: Optional[nn.Module]
    branch2: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            passed, processed = x.chunk(2, dim=1)
            out = torch.cat((passed, self.branch2(processed)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)

    def _build_projection(self, in_channels, branch_channels, kernel_size,
                          norm_cfg, act_cfg):
        """Stride-2 shortcut: dw kxk (s2) - BN, pw 1x1 - BN - act."""
        return nn.Sequential(
            ConvModule(
                in_channels,
                in_channels,
                kernel_size,
                stride=2,
                padding=kernel_size // 2,
                groups=in_channels,
                norm_cfg=norm_cfg,
                act_cfg=None),
            ConvModule(
                in_channels,
                branch_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))


@MODELS.register_module()
class ShuffleBlock(_ShuffleUnit):
    """ShuffleNetV2 unit with a ``kernel_size`` x ``kernel_size`` depthwise
    conv.

    Args:
        in_channels / out_channels (int): widths; equal when ``stride`` is 1.
        kernel_size (int): 3, 5 or 7 in the SPOS space.
        stride (int): 1 (split in halves) or 2 (both branches see all input).
        norm_cfg / act_cfg (dict): mmcv brick configs. ``norm_cfg`` may carry
            ``affine=False`` (the official SPOS supernet's BN).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU')):
        super().__init__()
        _check_channels(type(self).__name__, in_channels, out_channels, stride)
        self.stride = stride
        branch_channels = out_channels // 2
        main_in = in_channels if stride == 2 else in_channels // 2
        self.branch1 = (
            self._build_projection(in_channels, branch_channels, kernel_size,
                                   norm_cfg, act_cfg) if stride == 2 else None)
        self.branch2 = nn.Sequential(
            ConvModule(
                main_in,
                branch_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg),
            ConvModule(
                branch_channels,
                branch_channels,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                groups=branch_channels,
                norm_cfg=norm_cfg,
                act_cfg=None),
            ConvModule(
                branch_channels,
                branch_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))


@MODELS.register_module()
class ShuffleXception(_ShuffleUnit):
    """The Xception-like ShuffleNetV2 unit of SPOS.

    The main branch is three rounds of dw3x3-BN, pw1x1-BN-act (stride on the
    first depthwise conv only); the stride-2 projection uses a dw3x3.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU')):
        super().__init__()
        _check_channels(type(self).__name__, in_channels, out_channels, stride)
        self.stride = stride
        branch_channels = out_channels // 2
        main_in = in_channels if stride == 2 else in_channels // 2
        self.branch1 = (
            self._build_projection(in_channels, branch_channels, 3, norm_cfg,
                                   act_cfg) if stride == 2 else None)
        rounds = []
        round_inputs = (main_in, branch_channels, branch_channels)
        for i, round_in in enumerate(round_inputs):
            rounds.append(
                DepthwiseSeparableConvModule(
                    round_in,
                    branch_channels,
                    3,
                    stride=stride if i == 0 else 1,
                    padding=1,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                    dw_act_cfg=None))
        self.branch2 = nn.Sequential(*rounds)
