"""MobileNet choice ops of the ProxylessNAS-GPU space, as plain modules.

These know nothing about search. Parameter names follow MMRazor 1.x
(``expand_conv`` / ``depthwise_conv`` / ``se`` / ``linear_conv`` in
``MBBlock``, ``downsample`` in ``Identity``; ``conv`` / ``bn`` inside each
``ConvModule``) so MMRazor checkpoints map onto them key for key.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from mmrazor_lite.registry import MODELS


def _check_stride(name: str, stride: int) -> None:
    if stride not in (1, 2):
        raise ValueError(f'{name}: stride must be 1 or 2, got {stride}')


@MODELS.register_module()
class MBBlock(nn.Module):
    """MobileNetV2 inverted residual: pw expand, dw kxk, (SE), pw linear.

    The expand conv is left out at ``expand_ratio`` 1 (nothing to expand),
    the linear conv has no activation (a ReLU there would destroy
    information in the narrow output), and the input is added back when
    stride is 1 and the width is kept.

    Args:
        in_channels / out_channels (int): block widths.
        kernel_size (int): odd depthwise kernel (3, 5 or 7 in the space).
        expand_ratio (int): hidden width = ``in_channels * expand_ratio``.
        stride (int): 1 or 2, applied by the depthwise conv.
        norm_cfg / act_cfg (dict): mmcv brick configs (ReLU6 by default).
        with_se (bool): put a squeeze-excite module (``se``) between the
            depthwise and linear convs.
        se_cfg (dict, optional): extra kwargs of mmpretrain's ``SELayer``
            (default ratio 4, ReLU then Sigmoid).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 expand_ratio: int = 6,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 with_se: bool = False,
                 se_cfg: Optional[dict] = None):
        super().__init__()
        name = type(self).__name__
        _check_stride(name, stride)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'{name}: kernel_size must be a positive odd '
                             f'number, got {kernel_size}')
        if expand_ratio < 1:
            raise ValueError(f'{name}: expand_ratio must be >= 1, '
                             f'got {expand_ratio}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.mid_channels = int(round(in_channels * expand_ratio))
        self.with_expand_conv = self.mid_channels != in_channels
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_se = with_se
        mid = self.mid_channels
        if self.with_expand_conv:
            self.expand_conv = ConvModule(
                in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.depthwise_conv = ConvModule(
            mid,
            mid,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=mid,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        if with_se:
            # imported here: mmpretrain's model package is heavy and only
            # this option needs it
            from mmpretrain.models.utils import SELayer
            self.se = SELayer(mid, **dict(dict(ratio=4), **(se_cfg or {})))
        self.linear_conv = ConvModule(
            mid, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand_conv(x) if self.with_expand_conv else x
        out = self.depthwise_conv(out)
        if self.with_se:
            out = self.se(out)
        out = self.linear_conv(out)
        return x + out if self.with_res_shortcut else out


@MODELS.register_module()
class Identity(nn.Module):
    """The ``identity`` choice: skip the block, projecting only if needed.

    A true identity (no weights) when the shape is kept; otherwise a 1x1
    conv + BN (``downsample``) with the given stride, as in MMRazor, so the
    choice is valid at every position of the space. The projection stays
    linear (no activation), like the MB block's last conv it stands in for;
    ``kernel_size``, ``expand_ratio`` and ``act_cfg`` are accepted and
    ignored so the space can hand every candidate the same kwargs.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Optional[int] = None,
                 expand_ratio: Optional[int] = None,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: Optional[dict] = None):
        super().__init__()
        _check_stride(type(self).__name__, stride)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        if stride != 1 or in_channels != out_channels:
            self.downsample = ConvModule(
                in_channels,
                out_channels,
                1,
                stride=stride,
                norm_cfg=norm_cfg,
                act_cfg=None)
        else:
            self.downsample = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.downsample is None else self.downsample(x)
