"""The SPOS ShuffleNetV2 search space: 20 one-shot choice blocks."""
import copy
from typing import Dict, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
from mmrazor_lite.registry import MODELS
from .searchable_backbone import SearchableBackbone

#: The four SPOS choices (official order: index 0..3).
SHUFFLENET_CANDIDATES = {
    'shuffle_3x3': dict(type='ShuffleBlock', kernel_size=3),
    'shuffle_5x5': dict(type='ShuffleBlock', kernel_size=5),
    'shuffle_7x7': dict(type='ShuffleBlock', kernel_size=7),
    'shuffle_xception': dict(type='ShuffleXception'),
}


@MODELS.register_module()
class SearchableShuffleNetV2(SearchableBackbone):
    """ShuffleNetV2 supernet of SPOS.

    Layout (MMRazor's names): ``conv1`` (3x3 s2 stem), ``layers.0`` ..
    ``layers.3`` (stages of :class:`OneShotChoice` blocks, the first of each
    with stride 2) and ``layers.4`` (1x1 last conv, not scaled by
    ``widen_factor``).

    Args:
        widen_factor (float): The multiplier of the stage widths; the stem
            and the last conv are not scaled. Defaults to 1.0.
        stage_blocks (Sequence[int]): The number of blocks of each stage.
            Defaults to ``(4, 4, 8, 4)``, the layout of the paper.
        stage_channels (Sequence[int]): The output channels of each stage,
            before ``widen_factor``. Defaults to ``(64, 160, 320, 640)``,
            the layout of the paper.
        stem_channels (int): The output channels of the stem ``conv1``.
            Defaults to 16.
        last_channels (int): The output channels of the last conv
            ``layers.4``. Defaults to 1024.
        candidates (Dict[str, dict], optional): The ``name -> op config``
            choices of every block. Defaults to None (the four SPOS
            choices).
        norm_cfg (dict): The mmcv config of the norm layers, e.g.
            ``dict(type='BN')`` (MMRazor's) or ``dict(type='BN',
            affine=False)`` (the official SPOS supernet). Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): The mmcv config of the activations. Defaults to
            ``dict(type='ReLU')``.
        out_indices (Sequence[int]): Which of ``layers`` to return; the
            last conv is 4. Defaults to ``(4, )``.
        norm_eval (bool): Whether to keep the BN layers in eval mode while
            training. Defaults to False.
        init_cfg (dict | list[dict], optional): The weight initialisation.
            Defaults to None (the official SPOS init, see
            :meth:`init_weights`).

    Raises:
        ValueError: If ``stage_blocks`` and ``stage_channels`` differ in
            length or an ``out_indices`` entry names no stage.
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 stage_blocks: Sequence[int] = (4, 4, 8, 4),
                 stage_channels: Sequence[int] = (64, 160, 320, 640),
                 stem_channels: int = 16,
                 last_channels: int = 1024,
                 candidates: Optional[Dict[str, dict]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 out_indices: Sequence[int] = (4, ),
                 norm_eval: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(stage_blocks) != len(stage_channels):
            raise ValueError(
                f'stage_blocks {list(stage_blocks)} and stage_channels '
                f'{list(stage_channels)} must have the same length')
        candidates = candidates or SHUFFLENET_CANDIDATES
        self.out_indices = self.check_out_indices(out_indices,
                                                  len(stage_blocks) + 1)
        self.norm_eval = norm_eval
        block_cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(
            3,
            stem_channels,
            3,
            stride=2,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.layers = nn.ModuleList()
        in_channels = stem_channels
        for num_blocks, channels in zip(stage_blocks, stage_channels):
            out_channels = int(round(channels * widen_factor))
            stage = []
            for b in range(num_blocks):
                stage.append(
                    OneShotChoice(
                        copy.deepcopy(candidates),
                        common_kwargs=dict(
                            in_channels=in_channels,
                            out_channels=out_channels,
                            stride=2 if b == 0 else 1,
                            **block_cfg)))
                in_channels = out_channels
            self.layers.append(nn.Sequential(*stage))
        self.layers.append(
            ConvModule(
                in_channels,
                last_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))

    def init_weights(self):
        """Initialise the weights, by ``init_cfg`` or as official SPOS.

        Without an ``init_cfg``, the conv weights are drawn from a normal
        of mean 0 and std 0.01 (the stem) or ``1 / weight.shape[1]``
        (elsewhere), conv biases are zeroed, and the affine BN layers get
        unit weights and a bias of 1e-4. With one, that init alone applies
        (the weights come from a checkpoint or an explicit init).
        """
        super().init_weights()
        if self.init_cfg is not None:
            return  # weights come from a checkpoint or an explicit init
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d):
                # the official SPOS init: N(0, 0.01) for the stem,
                # N(0, 1/fan_in) elsewhere
                std = 0.01 if name.startswith('conv1') else \
                    1.0 / m.weight.shape[1]
                nn.init.normal_(m.weight, 0, std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, _BatchNorm) and m.weight is not None:
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)

    def stages(self):
        """List ``layers.0`` .. ``layers.4``, in order.

        Returns:
            List[nn.Module]: The stages, whose positions ``out_indices``
            counts.
        """
        return list(self.layers)
