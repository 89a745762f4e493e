"""The stems of DARTS networks (search and evaluation share them).

Names follow the modules of the reference code's ``stem`` / ``stem0`` /
``stem1`` (their converters map the numeric indices onto these names).
"""
from collections import OrderedDict

import torch.nn as nn

STEM_TYPES = ('cifar', 'imagenet')


def check_stem_type(stem_type: str) -> None:
    if stem_type not in STEM_TYPES:
        raise ValueError(f'stem_type must be one of {STEM_TYPES}, got '
                         f'{stem_type!r}')


def cifar_stem(out_channels: int) -> nn.Sequential:
    """conv3x3 (3 -> out) + BN, full resolution."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(3, out_channels, 3, padding=1, bias=False),
            bn=nn.BatchNorm2d(out_channels)))


def imagenet_stems(out_channels: int):
    """``(stem0, stem1)``: two stride-2 convs to ``out``, then a third.

    stem0 = conv s2 (3 -> out/2), BN, ReLU, conv s2 (out/2 -> out), BN;
    stem1 = ReLU, conv s2, BN. 224 px in, 28 px out of stem1; cell 0 gets
    stem0's output as its s0 (so it reduces it).
    """
    half = out_channels // 2
    stem0 = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, half, 3, 2, 1, bias=False),
            bn1=nn.BatchNorm2d(half),
            relu=nn.ReLU(inplace=True),
            conv2=nn.Conv2d(half, out_channels, 3, 2, 1, bias=False),
            bn2=nn.BatchNorm2d(out_channels)))
    # not in place: stem0's output is also cell 0's s0
    stem1 = nn.Sequential(
        OrderedDict(
            relu=nn.ReLU(inplace=False),
            conv=nn.Conv2d(out_channels, out_channels, 3, 2, 1, bias=False),
            bn=nn.BatchNorm2d(out_channels)))
    return stem0, stem1
