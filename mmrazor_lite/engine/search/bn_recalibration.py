"""Re-estimate BatchNorm statistics for the active path of a supernet.

Shared layers of a supernet (stem, last conv) accumulate running statistics
over many paths, so a path scored with them is scored unfairly. SPOS
recomputes them on training images for each candidate. Here the estimate is
exact: each BN's per-batch mean and variance (which BN computes in train
mode anyway) are turned into per-channel sums of x and x^2, accumulated in
float64 over all calibration images of all ranks, and mean and unbiased
variance are computed from the totals. Batches are forwarded in train mode
(BN normalises with batch statistics, as when the supernet was trained).

Because each batch is forwarded whole by one rank and the totals are
all-reduced, the result does not depend on how the batches are spread over
ranks: with :func:`calibration_batches` 1 and N processes give the same
statistics (up to float64 rounding).
"""
import math
import random
from typing import Callable, Iterable, List, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_rank, get_world_size
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader, Dataset


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Iterable,
                   forward: Callable) -> int:
    """Re-estimate the statistics of every BN that ``forward`` reaches.

    Args:
        model: the network (its BN layers run in train mode meanwhile).
        batches: this rank's batches, anything ``forward`` accepts.
        forward: ``forward(batch)`` runs ``model`` on one batch.

    Returns:
        int: the number of batches seen on this rank. BNs no rank reached
        (candidates off the path) keep their statistics.
    """
    bns = [
        m for m in model.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    sums = {bn: None for bn in bns}

    def accumulate(bn, inputs, output):
        # momentum 1: the running stats now hold this call's batch mean and
        # unbiased variance, which BN computed anyway; no extra pass
        count = inputs[0].numel() // bn.num_features
        mean = bn.running_mean.double()
        biased_var = bn.running_var.double() * ((count - 1) / count) \
            if count > 1 else torch.zeros_like(mean)
        stats = torch.stack([
            mean * count, (biased_var + mean * mean) * count,
            torch.full_like(mean, count)
        ])
        sums[bn] = stats if sums[bn] is None else sums[bn] + stats

    saved = [(bn.training, bn.momentum) for bn in bns]
    handles = [bn.register_forward_hook(accumulate) for bn in bns]
    for bn in bns:
        bn.train()
        bn.momentum = 1.0
    seen = 0
    try:
        for batch in batches:
            forward(batch)
            seen += 1
    finally:
        for handle in handles:
            handle.remove()
        for bn, (training, momentum) in zip(bns, saved):
            bn.train(training)
            bn.momentum = momentum

    if not bns:
        return seen
    stats = [
        sums[bn] if sums[bn] is not None else torch.zeros(
            3,
            bn.num_features,
            dtype=torch.float64,
            device=bn.running_mean.device) for bn in bns
    ]
    if get_world_size() > 1:
        # one all-reduce of every BN's sums (a supernet has hundreds of BNs)
        flat = torch.cat([s.flatten() for s in stats])
        all_reduce(flat, op='sum')
        stats = [
            part.view(3, -1) for part in flat.split([s.numel() for s in stats])
        ]
    for bn, stat in zip(bns, stats):
        count = float(stat[2, 0])
        if count == 0:
            continue
        mean = stat[0] / count
        var = (stat[1] / count - mean * mean).clamp_(min=0)
        if count > 1:
            var *= count / (count - 1)  # running_var is unbiased in torch
        bn.running_mean.copy_(mean.to(bn.running_mean.dtype))
        bn.running_var.copy_(var.to(bn.running_var.dtype))
        if bn.num_batches_tracked is not None:
            bn.num_batches_tracked.fill_(seen)
    return seen


class _SeededSamples(Dataset):
    """``dataset[indices[i]]`` with every random transform seeded by index.

    The same image then gets the same augmentation whichever rank or worker
    loads it; the global RNG states are restored afterwards.
    """

    def __init__(self, dataset, indices: Sequence[int], seed: int):
        self.dataset = dataset
        self.indices = list(indices)
        self.seed = seed

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        index = self.indices[i]
        states = (random.getstate(), np.random.get_state(),
                  torch.get_rng_state())
        sample_seed = (self.seed * 1_000_003 + index) % (2**32)
        random.seed(sample_seed)
        np.random.seed(sample_seed)
        torch.manual_seed(sample_seed)
        try:
            return self.dataset[index]
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])


def calibration_batches(loader: DataLoader, num_samples: int,
                        seed: int) -> List:
    """This rank's share of a fixed set of calibration batches, loaded.

    ``num_samples`` images are drawn from ``loader.dataset`` with ``seed``
    (the same on every rank), cut into batches of ``loader.batch_size`` and
    dealt out to ranks batch by batch (rank r takes batches r, r + W, ...).
    Each image's augmentation is seeded by its index. So the batches, and
    the statistics :func:`recalibrate_bn` computes from them, are the same
    for any number of processes.
    """
    dataset = loader.dataset
    num_samples = min(int(num_samples), len(dataset))
    order = random.Random(seed).sample(range(len(dataset)), num_samples)
    batch_size = loader.batch_size or 1
    num_batches = math.ceil(num_samples / batch_size)
    mine = [
        list(range(b * batch_size, min((b + 1) * batch_size, num_samples)))
        for b in range(get_rank(), num_batches, get_world_size())
    ]
    if not mine:
        return []
    reader = DataLoader(
        _SeededSamples(dataset, order, seed),
        batch_sampler=mine,
        collate_fn=loader.collate_fn,
        num_workers=min(getattr(loader, 'num_workers', 0), len(mine)))
    return list(reader)
