"""Weights that load strictly: every key of the model, every shape, nothing
left over, or an error that names the file and the keys.

mmengine loads ``load_from`` with ``strict=False``: a checkpoint of another
model, widen factor or subnet then only logs "missing keys" and the run
goes on with randomly initialised weights. Whatever must not run on the
wrong weights (testing, export, a search scoring a supernet) checks with
:func:`check_state_fits` or loads with :func:`load_state_strictly`.
"""
from typing import List, Mapping, Tuple

import torch.nn as nn

from .checkpoint_io import CheckpointError, load_checkpoint_file

#: how many keys of each kind an error lists
LISTED_KEYS = 5


def read_checkpoint(checkpoint: str) -> dict:
    """Read a checkpoint file or a bare state dict file.

    Args:
        checkpoint (str): The file, read with ``weights_only=True``.

    Returns:
        dict: ``{'state_dict': ..., 'meta': ...}`` (``meta`` empty for a
        bare state dict).
    """
    data = load_checkpoint_file(checkpoint, map_location='cpu')
    if not isinstance(data, dict) or 'state_dict' not in data:
        data = {'state_dict': data, 'meta': {}}
    return data


def _without_ddp_prefix(state_dict: Mapping) -> dict:
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }


def state_mismatch(
        model: nn.Module,
        state_dict: Mapping) -> Tuple[List[str], List[str], List[str]]:
    """What of ``state_dict`` does not fit ``model``.

    Args:
        model (nn.Module): The model the weights are for.
        state_dict (Mapping): The weights (a ``module.`` prefix of DDP is
            taken off).

    Returns:
        tuple[list[str], list[str], list[str]]: The missing keys, the
        unexpected keys and the keys of another shape (as ``key (shape in
        the checkpoint) vs (shape in the model)``).
    """
    state = _without_ddp_prefix(state_dict)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshapen = [
        f'{k} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}'
        for k in expected if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    return missing, unexpected, misshapen


def check_state_fits(model: nn.Module,
                     state_dict: Mapping,
                     checkpoint: str,
                     purpose: str = '') -> None:
    """Refuse weights that do not cover ``model`` key for key.

    Args:
        model (nn.Module): The model the weights are for.
        state_dict (Mapping): The weights.
        checkpoint (str): Their file, named in the error.
        purpose (str): What the weights were to be used for, added to the
            error (e.g. ``' to search'``). Defaults to ``''``.

    Raises:
        CheckpointError: Keys missing, left over or of another shape; the
            message names the file and the first keys of each kind.
    """
    missing, unexpected, misshapen = state_mismatch(model, state_dict)
    if not (missing or unexpected or misshapen):
        return
    lines = [
        f'{checkpoint}: its weights do not fit the model the config builds'
        f'{purpose} (a checkpoint of another config or architecture?)'
    ]
    for kind, keys in (('missing', missing), ('unexpected', unexpected),
                       ('shape (checkpoint vs model)', misshapen)):
        if keys:
            more = f' ... (+{len(keys) - LISTED_KEYS} more)' \
                if len(keys) > LISTED_KEYS else ''
            lines.append(f'  {len(keys)} {kind}: {keys[:LISTED_KEYS]}{more}')
    raise CheckpointError('\n'.join(lines))


def load_state_strictly(model: nn.Module, state_dict: Mapping,
                        checkpoint: str) -> None:
    """``model.load_state_dict`` that names the file and the bad keys.

    Args:
        model (nn.Module): The model to load into.
        state_dict (Mapping): The weights.
        checkpoint (str): Their file, named in the error.

    Raises:
        CheckpointError: See :func:`check_state_fits`.
    """
    check_state_fits(model, state_dict, checkpoint)
    model.load_state_dict(_without_ddp_prefix(state_dict), strict=True)
