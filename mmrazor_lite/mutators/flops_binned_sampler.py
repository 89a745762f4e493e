"""The official SPOS supernet sampler: uniform over FLOPs bins.

Pick one of ``num_bins`` equal FLOPs bins between ``min_flops`` and
``max_flops`` uniformly, then redraw uniform paths (at most ``max_tries``)
until one lands in it; if none does, the last draw is kept. This flattens the
FLOPs distribution of the trained paths.
"""
from typing import Sequence

from mmrazor_lite.estimators.resource_table import ResourceTable


class FlopsBinnedSampler:
    """Draw SPOS paths uniformly over FLOPs bins (the official sampler).

    The FLOPs of a path come from a :class:`ResourceTable` of ``model``,
    built once when the sampler is.

    Args:
        model (nn.Module): The supernet (the SPOS ``architecture``).
        mutator (OneShotMutator): A prepared mutator of ``model``.
        min_flops (float): The lower end of the first bin, in FLOPs.
            Defaults to 290e6.
        max_flops (float): The upper end of the last bin, in FLOPs.
            Defaults to 360e6.
        num_bins (int): The number of equal FLOPs bins. Defaults to 7.
        max_tries (int): The most paths drawn for one sample before the
            last draw is kept. Defaults to 500.
        input_shape (Sequence[int]): The input shape the FLOPs are counted
            for. Defaults to ``(1, 3, 224, 224)``.
        convention (str): The FLOPs convention (see
            :mod:`mmrazor_lite.estimators.flops_counter`); the official SPOS
            one counts conv and linear layers only. Defaults to
            ``'conv_linear'``.

    Raises:
        ValueError: If not ``0 <= min_flops < max_flops``, or ``num_bins``
            or ``max_tries`` is not positive.
    """

    def __init__(self,
                 model,
                 mutator,
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
        """Draw one path: a uniform bin, then uniform paths until one fits.

        Args:
            rng (random.Random): The source of randomness; the same seed
                gives the same path.

        Returns:
            OrderedDict[str, str]: The path, decision key -> candidate name.
            When no draw lands in the bin, the last draw.
        """
        low, high = rng.choice(self.bins)
        for _ in range(self.max_tries):
            choices = self.mutator.sample_choices(rng)
            if low <= self.table.flops_of(choices) < high:
                break
        return choices
