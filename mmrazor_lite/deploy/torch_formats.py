"""TorchScript and ``torch.export`` files of a logits module, each reloaded
from the exact bytes to be written and checked against the module."""
import io
import json
from typing import Sequence

import torch

from .export_error import ExportError
from .logits_module import LogitsModule, check_reproduces, random_input

#: where both formats keep the export's meta (a JSON text file inside)
META_FILE = 'meta.json'
#: traced batch; any batch runs (torch.export specialises a batch of 1)
TRACE_BATCH = 2
#: the check's batch differs from the traced one, so a fixed batch shows
CHECK_BATCH = 3


def _check_meta(fmt: str, meta_json: str, found: str) -> None:
    if found != meta_json:
        raise ExportError(f'the {fmt} file lost its {META_FILE} (read back '
                          f'{found[:80]!r}); nothing written')


def torchscript_bytes(module: LogitsModule, shape: Sequence[int],
                      meta: dict) -> bytes:
    """A traced module (batch 1), ``meta`` in its ``meta.json``."""
    meta_json = json.dumps(meta, sort_keys=True)
    with torch.no_grad():
        traced = torch.jit.trace(module, random_input(1, shape))
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer, _extra_files={META_FILE: meta_json})
    data = buffer.getvalue()
    extra = {META_FILE: ''}
    reloaded = torch.jit.load(
        io.BytesIO(data), map_location='cpu', _extra_files=extra).eval()
    x = random_input(1, shape)
    with torch.no_grad():
        check_reproduces('TorchScript', x, module(x), reloaded(x), atol=1e-5)
    found = extra[META_FILE]
    _check_meta('TorchScript', meta_json,
                found.decode() if isinstance(found, bytes) else found)
    return data


def export_program(module: LogitsModule, shape: Sequence[int]):
    """``torch.export`` program of ``module``, any batch size."""
    batch = torch.export.Dim('batch', min=1)
    with torch.no_grad():
        return torch.export.export(
            module, (random_input(TRACE_BATCH, shape), ),
            dynamic_shapes={'x': {
                0: batch
            }})


def torch_export_bytes(program, module: LogitsModule, shape: Sequence[int],
                       meta: dict) -> bytes:
    """``program`` saved (``torch.export.save``), ``meta`` in
    ``meta.json``; read back with ``torch.export.load``."""
    meta_json = json.dumps(meta, sort_keys=True)
    buffer = io.BytesIO()
    torch.export.save(program, buffer, extra_files={META_FILE: meta_json})
    data = buffer.getvalue()
    extra = {META_FILE: ''}
    reloaded = torch.export.load(io.BytesIO(data), extra_files=extra)
    x = random_input(CHECK_BATCH, shape)
    with torch.no_grad():
        check_reproduces(
            'torch.export', x, module(x), reloaded.module()(x), atol=1e-5)
    _check_meta('torch.export', meta_json, extra[META_FILE])
    return data
