"""The supernet a search scores: its checkpoint must cover the model.

mmengine loads ``load_from`` with ``strict=False``, so a checkpoint of
another model, widen factor or a retrained subnet would only log "missing
keys" and the search would rank the paths of randomly initialised weights,
ending with exit 0 and a "best" subnet. A search checks the file first, on
every rank, before anything is scored or written.
"""
import torch.nn as nn

from mmrazor_lite.fileio.strict_state_loading import (check_state_fits,
                                                      read_checkpoint)
from .rank_agreement import on_every_rank


def _check(model: nn.Module, checkpoint: str, loop_name: str) -> None:
    check_state_fits(model,
                     read_checkpoint(checkpoint)['state_dict'], checkpoint,
                     f' to search ({loop_name}, load_from)')


def check_supernet_checkpoint(model: nn.Module, checkpoint: str,
                              loop_name: str) -> None:
    """Refuse a supernet checkpoint that does not fit ``model``, on every
    rank alike.

    Args:
        model (nn.Module): The searched algorithm, unwrapped.
        checkpoint (str): The supernet checkpoint (``load_from``).
        loop_name (str): The loop, named in the error.

    Raises:
        CheckpointError: Keys missing, left over or of another shape (the
            message names the file and the keys), on every rank.
    """
    on_every_rank(_check, model, checkpoint, loop_name)
