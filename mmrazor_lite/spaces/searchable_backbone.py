"""What the one-shot search spaces share: stem, stages, outputs, norm_eval."""
from typing import List

import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm


class SearchableBackbone(BaseModule):
    """A stem ``conv1`` followed by stages, returning some stage outputs.

    The forward pass returns the outputs of the stages at ``out_indices``.
    Subclasses build ``conv1``, their stages, ``out_indices`` and
    ``norm_eval``, and list the stages in order in :meth:`stages`.
    """

    out_indices: tuple
    norm_eval: bool

    def stages(self) -> List[nn.Module]:
        """List the stages in the order the forward pass runs them.

        Returns:
            List[nn.Module]: The stages, whose positions ``out_indices``
            counts.
        """
        raise NotImplementedError

    @staticmethod
    def check_out_indices(out_indices, num_stages: int) -> tuple:
        """Check that every output index names a stage.

        Args:
            out_indices (Sequence[int]): The stage indices to return.
            num_stages (int): The number of stages of the backbone.

        Returns:
            tuple: ``out_indices`` as a tuple.

        Raises:
            ValueError: If an index is outside ``[0, num_stages - 1]``.
        """
        for i in out_indices:
            if not 0 <= i < num_stages:
                raise ValueError(f'out_indices {list(out_indices)}: each '
                                 f'must be in [0, {num_stages - 1}]')
        return tuple(out_indices)

    def forward(self, x):
        """Run the stem and the stages on ``x``.

        Args:
            x (torch.Tensor): The input images, ``(N, 3, H, W)``.

        Returns:
            tuple[torch.Tensor]: The outputs of the stages at
            ``out_indices``, in stage order.
        """
        x = self.conv1(x)
        outs = []
        for i, stage in enumerate(self.stages()):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True):
        """Set the training mode, keeping BN in eval mode if ``norm_eval``.

        Args:
            mode (bool): Whether to set training mode (True) or evaluation
                mode (False). Defaults to True.

        Returns:
            SearchableBackbone: The module itself.
        """
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
