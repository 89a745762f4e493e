"""The preprocessing an exported network's input needs, as plain data.

Exports take the tensor the model's data preprocessor hands the network:
channels swapped if ``to_rgb``, then ``(x - mean) / std``. A deployment
must repeat exactly that, so every export records it.
"""
from typing import Optional, Sequence

import torch.nn as nn

#: how the recorded values are applied, for whoever reads a file's meta
ORDER = ('image HxWx3 as loaded (BGR with LoadImageFromFile) -> resize / '
         'crop to input_size -> swap channels if to_rgb -> (x - mean) / std '
         '-> float32 NCHW')


def _values(tensor) -> Optional[list]:
    return None if tensor is None else [
        float(v) for v in tensor.detach().flatten().tolist()
    ]


def preprocessing_meta(model: nn.Module, input_size: Sequence[int]) -> dict:
    """Mean, std, channel swap and input size of ``model``'s input.

    Read from the built ``model.data_preprocessor`` (so the config's
    ``model.data_preprocessor`` or, as the Runner does, its top-level
    ``data_preprocessor`` and the defaults are all accounted for).

    Args:
        model: a built classifier.
        input_size: (H, W) the traced exports take.
    """
    pre = getattr(model, 'data_preprocessor', None)
    normalises = bool(getattr(pre, '_enable_normalize', False))
    # mmpretrain's ClsDataPreprocessor says to_rgb; mmengine's
    # ImgDataPreprocessor bgr_to_rgb / rgb_to_bgr (both a channel swap)
    swap = bool(
        getattr(pre, 'to_rgb', False)
        or getattr(pre, '_channel_conversion', False))
    return {
        'type': type(pre).__name__,
        'mean': _values(getattr(pre, 'mean', None)) if normalises else None,
        'std': _values(getattr(pre, 'std', None)) if normalises else None,
        'to_rgb': swap,
        'input_size': [int(v) for v in input_size],
        'order': ORDER,
    }
