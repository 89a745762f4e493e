"""The official SPOS supernet sampler: uniform over FLOPs bins.

Pick one of ``num_bins`` equal FLOPs bins between ``min_flops`` and
``max_flops`` uniformly, then redraw uniform paths (at most ``max_tries``)
until one lands in it; if none does, the last draw is kept. This flattens the
FLOPs distribution of the trained paths.
"""
from typing import Sequence

from mmrazor_lite.estimators.resource_table import ResourceTable


class FlopsBinnedSampler:

    def __init__(self, model, mutator,
                 min_flops: float = 290e6,
                 max_flops: float = 360e6,
                 num_bins: int = 7,
                 max_tries: int = 500,
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 convention: str = 'conv_linear'):
        if not 0 <= min_flops < max_flops:
            raise ValueError(f'need 0 <= min_flops < max_flops, got '
                             f'{min_flops} and {max_flops}')
        if num_bins < 1 or max_tries < 1:
            raise ValueError(f'num_bins ({num_bins}) and max_tries '
                             f'({max_tries}) must be positive')
        self.mutator = mutator
        self.table = ResourceTable(model, mutator, input_shape, convention)
        width = (max_flops - min_flops) / num_bins
        self.bins = [(min_flops + i * width, min_flops + (i + 1) * width)
                     for i in range(num_bins)]
        self.max_tries = max_tries

    def sample(self, rng):
        low, high = rng.choice(self.bins)
        for _ in range(self.max_tries):
            choices = self.mutator.sample_choices(rng)
            if low <= self.table.flops_of(choices) < high:
                break
        return choices
