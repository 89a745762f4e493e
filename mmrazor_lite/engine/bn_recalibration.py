"""Re-estimate BatchNorm statistics for the active path of a supernet.

Shared layers of a supernet (stem, last conv) accumulate running statistics
over many paths, so a path scored with them is scored unfairly. SPOS resets
the statistics and recomputes them on training images for each candidate:
here as an exact cumulative average (``momentum=None``) over the given
batches, all-reduced across ranks when distributed.
"""
from typing import Iterable

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from torch.nn.modules.batchnorm import _BatchNorm


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Iterable, forward) -> int:
    """Reset every BN of ``model`` and re-estimate it on ``batches``.

    Args:
        model: the network whose BN layers are reset (train mode meanwhile).
        batches: an iterable of inputs ``forward`` accepts.
        forward: ``forward(batch)`` runs ``model`` on one batch.

    Returns:
        int: the number of batches seen on this rank.
    """
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    saved = [(bn.momentum, bn.training) for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: exact mean
        bn.train()
    seen = 0
    for batch in batches:
        forward(batch)
        seen += 1
    if get_world_size() > 1:
        # every rank saw different images: average their estimates
        for bn in bns:
            if bn.running_mean is not None:
                all_reduce(bn.running_mean, op='mean')
                all_reduce(bn.running_var, op='mean')
    for bn, (momentum, training) in zip(bns, saved):
        bn.momentum = momentum
        bn.train(training)
    return seen
