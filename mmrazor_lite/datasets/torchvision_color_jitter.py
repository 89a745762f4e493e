"""ColorJitter with hue, as torchvision (and the PC-DARTS reference) does it.

mmcv's ``adjust_hue`` casts a negative shift with ``np.uint8(...)``, which
numpy >= 2 refuses (OverflowError), so mmpretrain's ``ColorJitter`` fails
for any ``hue > 0``. This transform applies torchvision's ``ColorJitter``
to the loaded image instead: same parameters, same random order of the
four adjustments, same semantics as the reference code's transform.
"""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from torchvision.transforms import ColorJitter

from mmrazor_lite.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TorchvisionColorJitter(BaseTransform):
    """Randomly change brightness, contrast, saturation and hue of ``img``.

    Args:
        brightness, contrast, saturation, hue (float): as torchvision's
            ``ColorJitter`` (``hue`` in [0, 0.5]).
        channel_order (str): how ``results['img']`` is laid out: ``'bgr'``
            (mmcv's ``LoadImageFromFile``, default) or ``'rgb'``.
    """

    def __init__(self,
                 brightness: float = 0.,
                 contrast: float = 0.,
                 saturation: float = 0.,
                 hue: float = 0.,
                 channel_order: str = 'bgr'):
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        self.jitter = ColorJitter(brightness, contrast, saturation, hue)
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'TorchvisionColorJitter needs an HxWx3 uint8 '
                             f'image, got {img.dtype} of shape {img.shape}')
        rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        tensor = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)
        out = self.jitter(tensor).permute(1, 2, 0).numpy()
        results['img'] = np.ascontiguousarray(out[
            ..., ::-1] if self.channel_order == 'bgr' else out)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.jitter!r}, ' \
            f'channel_order={self.channel_order!r})'
