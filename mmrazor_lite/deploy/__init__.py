"""Deployable exports of a found network, each checked against PyTorch.

``tools/model_converters/export_subnet.py`` uses these to write TorchScript,
a ``torch.export`` program and ONNX, each carrying the preprocessing its
input needs (``preprocessing_meta``).
"""
from .export_error import ExportError
from .logits_module import LogitsModule
from .onnx_format import (ONNX_OPSET, ONNX_PACKAGES, onnx_bytes,
                          require_onnx_packages)
from .preprocessing import preprocessing_meta
from .torch_formats import torch_export_bytes, torchscript_bytes

__all__ = [
    'ExportError', 'LogitsModule', 'ONNX_OPSET', 'ONNX_PACKAGES', 'onnx_bytes',
    'require_onnx_packages', 'preprocessing_meta', 'torch_export_bytes',
    'torchscript_bytes'
]
