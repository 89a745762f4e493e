"""Checkpoints that load with ``torch.load(weights_only=True)`` and are
written atomically.

mmengine stores, besides tensors and plain containers, the message hub's
``HistoryBuffer`` objects (which hold numpy arrays) and numpy scalars in the
``message_hub`` entry of every checkpoint. Those, and nothing else, are
allow-listed here. Checkpoints are read with ``weights_only=True`` on every
torch version we support; there is no fallback to unrestricted unpickling.

Local writes made through mmengine's file backends (checkpoints, dumped
json/yaml) go to a temporary file beside the target and are renamed over it
only once complete, so a crash mid-write never leaves a half file under the
final name.
"""
import os
import os.path as osp
import tempfile
from typing import Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .unsafe_pickle import describe_refusal, torch_error_detail


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be read (corrupt, truncated, unsafe)."""


def _numpy_globals():
    """The numpy callables a pickled ndarray / numpy scalar refers to."""
    try:  # numpy >= 2 moved the private module
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    # a pickled dtype is rebuilt as an instance of its numpy 2 dtype class
    dtype_classes = [
        type(np.dtype(t))
        for t in (np.float32, np.float64, np.int32, np.int64, np.bool_)
    ]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
            ] + dtype_classes


#: Exactly the non-tensor types mmengine 0.10 writes into a checkpoint.
SAFE_GLOBALS = [HistoryBuffer] + _numpy_globals()


def _history_buffer_getstate(self) -> dict:
    """HistoryBuffer state without its statistics functions.

    mmengine pickles ``HistoryBuffer._statistics_methods`` (functions, saved
    as ``getattr(HistoryBuffer, 'min')`` ...) with every buffer. Allowing
    ``getattr`` in a weights-only load would open the door to arbitrary
    attribute access, so the functions are left out: they are class-level
    and re-registered at import, and ``__setstate__`` accepts their absence.
    """
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def register_safe_globals() -> None:
    """Allow-list :data:`SAFE_GLOBALS` for every ``weights_only`` load.

    After this, even a plain ``torch.load(path)`` (torch >= 2.6 defaults to
    ``weights_only=True``) reads our checkpoints.
    """
    torch.serialization.add_safe_globals(SAFE_GLOBALS)


def load_checkpoint_file(filename: Union[str, os.PathLike],
                         map_location=None) -> dict:
    """Read a local checkpoint with ``weights_only=True``.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointError: the file holds types outside the allow-list
            (``refused: holds ...``, naming them), or is truncated or
            corrupt; the message names the file and is one line.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    try:
        # SAFE_GLOBALS were allow-listed process-wide by install().
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types on garbage input
        raise checkpoint_load_error(filename, err) from None


def load_state_dict_and_meta(filename: Union[str, os.PathLike]):
    """``(state_dict, meta)`` of a checkpoint file, or of a bare state dict.

    Raises:
        CheckpointError: the file holds neither; names the file.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        return checkpoint['state_dict'], dict(checkpoint.get('meta') or {})
    if isinstance(checkpoint, dict) and checkpoint and all(
            isinstance(k, str) for k in checkpoint):
        return checkpoint, {}
    raise CheckpointError(
        f'checkpoint {str(filename)!r}: expected a dict with "state_dict" '
        f'(and "meta") or a bare state dict, got '
        f'{type(checkpoint).__name__}')


def checkpoint_load_error(filename: str, err: Exception) -> CheckpointError:
    """Our error for a failed weights-only load of ``filename``.

    A file refused for what it holds (a global outside the allow-list, a
    pickle instruction the safe loader never runs) says so and names it; a
    file that is no complete pickle is truncated or corrupt. torch's advice
    to retry with unrestricted unpickling is never repeated.
    """
    refused = describe_refusal(filename, err)
    if refused:
        return CheckpointError(
            f'checkpoint {filename!r} refused: holds {refused} outside the '
            f'allow-list of safe types (tensors, numbers, strings, '
            f'containers and the numpy / mmengine types checkpoints store); '
            f'it was not loaded and nothing in it was run. Only if you '
            f'trust its source: load it in your own code, save just its '
            f'tensors (torch.save(model.state_dict(), NEW)) and use NEW')
    size = osp.getsize(filename)
    return CheckpointError(
        f'checkpoint {filename!r} ({size} bytes) is truncated or corrupt and '
        f'cannot be read as a PyTorch checkpoint: {torch_error_detail(err)}')


def _load_from_local(filename, map_location):
    return load_checkpoint_file(filename, map_location)


def atomic_write_bytes(data: bytes, filepath: Union[str, os.PathLike]) -> None:
    """Write ``data`` to ``filepath`` all at once or not at all."""
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        # mkstemp makes the file private (0600); give it the permissions a
        # plain open() would, so checkpoints stay readable on shared disks
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(text: str,
                      filepath: Union[str, os.PathLike],
                      encoding: str = 'utf-8') -> None:
    atomic_write_bytes(text.encode(encoding), filepath)


def atomic_torch_save(obj, filepath: Union[str, os.PathLike]) -> None:
    """``torch.save`` that never leaves a half-written file behind."""
    import io
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), filepath)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put`` / ``put_text``."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_text(obj, filepath, encoding)


def install() -> None:
    """Make mmengine read and write local checkpoints the safe way."""
    register_safe_globals()
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
