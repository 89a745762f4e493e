"""Cutout on the normalised batch, as the DARTS evaluation recipe applies it.

The reference cuts a ``length x length`` square out of every training image
*after* normalisation, so the hole is exactly 0 (the mean colour). mmcv's
``Cutout`` works on uint8 images before normalisation, where the mean can
only be approximated. This batch augment runs inside mmpretrain's
``ClsDataPreprocessor`` after normalisation::

    data_preprocessor = dict(..., batch_augments=dict(
        augments=dict(type='BatchCutout', length=16)))

Per image the square's centre is uniform over the image and the square is
clipped at the borders (so it may be smaller near them), as in the
reference. Labels are untouched.
"""
from typing import Tuple

import torch

from mmrazor_lite.registry import BATCH_AUGMENTS


@BATCH_AUGMENTS.register_module()
class BatchCutout:
    """Zero one ``length x length`` square per image of a normalised batch.

    Args:
        length (int): side of the square (the DARTS recipe: 16).
    """

    def __init__(self, length: int = 16):
        if length < 1:
            raise ValueError(f'BatchCutout: length must be >= 1, got '
                             f'{length}')
        self.length = int(length)

    def __call__(
            self, inputs: torch.Tensor,
            batch_score: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        n, _, h, w = inputs.shape
        cy = torch.randint(0, h, (n, 1, 1), device=inputs.device)
        cx = torch.randint(0, w, (n, 1, 1), device=inputs.device)
        half = self.length // 2
        rows = torch.arange(h, device=inputs.device).view(1, h, 1)
        cols = torch.arange(w, device=inputs.device).view(1, 1, w)
        hole = ((rows >= cy - half) & (rows < cy - half + self.length) &
                (cols >= cx - half) & (cols < cx - half + self.length))
        # scores as float, as mmpretrain's other batch augments return them
        # (the one-hot labels arrive as integers; losses want float)
        return inputs.masked_fill(hole.unsqueeze(1), 0), batch_score.float()

    def __repr__(self) -> str:
        return f'{type(self).__name__}(length={self.length})'
