"""The SPOS MobileNet (ProxylessNAS-GPU, AngleNAS setting) search space."""
import copy
from typing import Dict, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.models.utils import make_divisible

from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
from mmrazor_lite.registry import MODELS
from .searchable_backbone import SearchableBackbone


def _mb(kernel_size: int, expand_ratio: int) -> dict:
    return dict(
        type='MBBlock', kernel_size=kernel_size, expand_ratio=expand_ratio)


#: The single choice of the first stage.
MOBILENET_FIRST_CANDIDATES = {'mb_k3e1': _mb(3, 1)}

#: The seven choices of every later block (MMRazor's order).
MOBILENET_CANDIDATES = {
    'mb_k3e3': _mb(3, 3),
    'mb_k3e6': _mb(3, 6),
    'mb_k5e3': _mb(5, 3),
    'mb_k5e6': _mb(5, 6),
    'mb_k7e3': _mb(7, 3),
    'mb_k7e6': _mb(7, 6),
    'identity': dict(type='Identity'),
}

#: (channels, blocks, stride) per stage, before ``widen_factor``.
PROXYLESS_GPU_ARCH = ((24, 1, 1), (32, 4, 2), (56, 4, 2), (112, 4, 2),
                      (128, 4, 1), (256, 4, 2), (432, 1, 1))


@MODELS.register_module()
class SearchableMobileNetProxyless(SearchableBackbone):
    """MobileNet supernet of SPOS on the ProxylessNAS-GPU layout.

    Layout (MMRazor's names): ``conv1`` (3x3 s2 stem), ``layer1`` ..
    ``layer7`` (stages of :class:`OneShotChoice` blocks, the stride on the
    first block of each) and ``conv2`` (1x1 last conv). ``out_indices``
    counts ``layer1`` as 0, so 7 is ``conv2``.

    Widths follow MMRazor: the stem and stage widths are scaled by
    ``widen_factor`` and rounded to a multiple of 8; the last conv is scaled
    only when widening (``int(last * widen)``), never when thinning, so the
    head always sees ``last_channels`` at ``widen_factor`` <= 1.

    Args:
        widen_factor (float): The width multiplier. Defaults to 1.0.
        arch_setting (Sequence[Sequence[int]]): The ``(channels, blocks,
            stride)`` of each stage, before ``widen_factor``. Defaults to
            ``PROXYLESS_GPU_ARCH``.
        stem_channels (int): The output channels of the stem ``conv1``,
            before ``widen_factor``. Defaults to 40.
        last_channels (int): The output channels of the last conv
            ``conv2``. Defaults to 1728.
        first_candidates (Dict[str, dict], optional): The choices of the
            first stage, ``name -> op config``. Defaults to None
            (``mb_k3e1`` only).
        candidates (Dict[str, dict], optional): The ``name -> op config``
            choices of every other block. Defaults to None (the six MB
            blocks and ``identity``).
        norm_cfg (dict): The mmcv config of the norm layers. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): The mmcv config of the activations. Defaults to
            ``dict(type='ReLU6')``.
        out_indices (Sequence[int]): Which of ``layer1`` .. ``layer7`` and
            ``conv2`` (indices 0 to 7) to return. Defaults to ``(7, )``.
        norm_eval (bool): Whether to keep the BN layers in eval mode while
            training. Defaults to False.
        init_cfg (list[dict] | dict, optional): The weight initialisation.
            Defaults to MMRazor's: Kaiming init of the convs and unit
            weights of the norm layers.

    Raises:
        ValueError: If ``widen_factor`` is not positive, an
            ``arch_setting`` entry is not ``(channels, blocks, stride)``
            or an ``out_indices`` entry names no stage.
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 arch_setting: Sequence[Sequence[int]] = PROXYLESS_GPU_ARCH,
                 stem_channels: int = 40,
                 last_channels: int = 1728,
                 first_candidates: Optional[Dict[str, dict]] = None,
                 candidates: Optional[Dict[str, dict]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 out_indices: Sequence[int] = (7, ),
                 norm_eval: bool = False,
                 init_cfg=[
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        if widen_factor <= 0:
            raise ValueError(f'widen_factor must be positive, '
                             f'got {widen_factor}')
        for setting in arch_setting:
            if len(setting) != 3:
                raise ValueError(f'arch_setting entry {setting}: expected '
                                 f'(channels, blocks, stride)')
        first_candidates = first_candidates or MOBILENET_FIRST_CANDIDATES
        candidates = candidates or MOBILENET_CANDIDATES
        self.widen_factor = widen_factor
        self.out_indices = self.check_out_indices(out_indices,
                                                  len(arch_setting) + 1)
        self.norm_eval = norm_eval
        block_cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        in_channels = make_divisible(stem_channels * widen_factor, 8)
        self.conv1 = ConvModule(
            3,
            in_channels,
            3,
            stride=2,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.layers = []
        for i, (channels, num_blocks, stride) in enumerate(arch_setting):
            out_channels = make_divisible(channels * widen_factor, 8)
            stage_candidates = first_candidates if i == 0 else candidates
            blocks = []
            for b in range(num_blocks):
                blocks.append(
                    OneShotChoice(
                        copy.deepcopy(stage_candidates),
                        common_kwargs=dict(
                            in_channels=in_channels,
                            out_channels=out_channels,
                            stride=stride if b == 0 else 1,
                            **block_cfg)))
                in_channels = out_channels
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*blocks))
            self.layers.append(name)
        # MMRazor widens the last conv but never thins it
        self.out_channels = int(last_channels * widen_factor) \
            if widen_factor > 1.0 else last_channels
        self.conv2 = ConvModule(
            in_channels,
            self.out_channels,
            1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.layers.append('conv2')

    def stages(self):
        """List ``layer1`` .. ``layer7`` and ``conv2``, in order.

        Returns:
            List[nn.Module]: The stages, whose positions ``out_indices``
            counts.
        """
        return [getattr(self, name) for name in self.layers]
