"""ONNX file of a logits module, checked with onnxruntime on CPU.

Written by torch's ``torch.export``-based exporter (``dynamo=True``, the
default since torch 2.9; the TorchScript-based one is deprecated) at opset
18, the opset its operator library is written in (no version conversion);
onnxruntime >= 1.14 and TensorRT >= 8.6 read it.
"""
import importlib
import json
from typing import Sequence

import torch

from .export_error import ExportError
from .logits_module import LogitsModule, check_reproduces, random_input
from .torch_formats import CHECK_BATCH

ONNX_OPSET = 18
#: what ``--onnx`` imports: the extra ``deploy`` (requirements/deploy.txt)
ONNX_PACKAGES = ('onnx', 'onnxruntime', 'onnxscript')
#: ONNX Runtime fuses BN into convs, so its float sums differ slightly
ATOL = RTOL = 1e-4


def require_onnx_packages() -> None:
    """Raise, naming the extra, unless the ONNX packages import."""
    missing = []
    for name in ONNX_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(
            f'--onnx needs the packages {", ".join(ONNX_PACKAGES)}; missing '
            f'here: {", ".join(missing)}. Install the "deploy" extra: '
            f'pip install -e ".[deploy]" in your mmrazor_lite clone (or '
            f'pip install -r requirements/deploy.txt)')


def onnx_bytes(program, module: LogitsModule, shape: Sequence[int],
               meta: dict) -> bytes:
    """``program`` (a ``torch.export`` program of ``module``) as ONNX.

    Input ``input`` (batch x 3 x H x W, any batch), output ``logits``;
    each ``meta`` item is a JSON string in the model's metadata
    (onnxruntime: ``session.get_modelmeta().custom_metadata_map``).
    """
    require_onnx_packages()
    import onnxruntime
    onnx_program = torch.onnx.export(
        program, (random_input(1, shape), ),
        dynamo=True,
        verbose=False,
        opset_version=ONNX_OPSET,
        input_names=['input'],
        output_names=['logits'],
        dynamic_shapes={'x': {
            0: 'batch'
        }})
    proto = onnx_program.model_proto
    for key, value in sorted(meta.items()):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value, sort_keys=True)
    data = proto.SerializeToString()

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(
        data, options, providers=['CPUExecutionProvider'])
    x = random_input(CHECK_BATCH, shape)
    got = torch.from_numpy(session.run(None, {'input': x.numpy()})[0])
    with torch.no_grad():
        check_reproduces('ONNX', x, module(x), got, atol=ATOL, rtol=RTOL)
    stored = session.get_modelmeta().custom_metadata_map
    if set(stored) != set(meta):
        raise ExportError(f'the ONNX file lost metadata (kept {sorted(stored)}'
                          f' of {sorted(meta)}); nothing written')
    return data
