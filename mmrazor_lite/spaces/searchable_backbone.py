"""What the one-shot search spaces share: stem, stages, outputs, norm_eval."""
from typing import List

import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm


class SearchableBackbone(BaseModule):
    """A stem ``conv1`` followed by stages; returns the stages at ``out_indices``.

    Subclasses build ``conv1``, their stages, ``out_indices`` and
    ``norm_eval``, and list the stages in order in :meth:`stages`.
    """

    out_indices: tuple
    norm_eval: bool

    def stages(self) -> List[nn.Module]:
        raise NotImplementedError

    @staticmethod
    def check_out_indices(out_indices, num_stages: int) -> tuple:
        for i in out_indices:
            if not 0 <= i < num_stages:
                raise ValueError(f'out_indices {list(out_indices)}: each '
                                 f'must be in [0, {num_stages - 1}]')
        return tuple(out_indices)

    def forward(self, x):
        x = self.conv1(x)
        outs = []
        for i, stage in enumerate(self.stages()):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
