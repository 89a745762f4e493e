"""SPOS: train a supernet one uniformly sampled path per iteration."""
import random
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.dist import sync_random_seed

from mmrazor_lite.mutators.flops_binned_sampler import FlopsBinnedSampler
from mmrazor_lite.registry import MODELS
from .base_algorithm import NASAlgorithm


@MODELS.register_module()
class SPOS(NASAlgorithm):
    """Single Path One-Shot supernet training (an mmengine ``BaseModel``).

    Every training step draws a new path (one candidate per decision) and
    trains only that path. The draw comes from a seed that rank 0 picks once
    and broadcasts, combined with the step counter, so all ranks train the
    same path without communicating per step; seed and counter are buffers,
    so ``--resume`` continues the same sequence of paths.

    Args:
        architecture (dict | nn.Module): The supernet classifier, usually an
            mmpretrain ``ImageClassifier`` with a searchable backbone, or the
            config to build it from.
        mutator (dict | nn.Module): The mutator, or its config.
            Defaults to ``dict(type='OneShotMutator')``.
        sampler (dict, optional): How paths are drawn:
            ``dict(type='uniform')`` (MMRazor's sampler, which takes no
            arguments) or ``dict(type='flops_binned', ...)`` (the official
            SPOS sampler; the other keys go to :class:`FlopsBinnedSampler`).
            None means the uniform sampler. Defaults to None.
        data_preprocessor (dict | nn.Module, optional): The data
            preprocessor. When None, the architecture's own is used; see
            :class:`NASAlgorithm`. Defaults to None.
        init_cfg (dict, optional): The initialisation config of mmengine's
            ``BaseModule``. Defaults to None.

    Raises:
        ValueError: If the sampler type is unknown, or the uniform sampler
            is given arguments.
    """

    #: Paths off the sampled one get no gradient: our DDP wrapper reads this
    #: and lets DDP skip them, so no user flag is needed.
    ddp_find_unused_parameters = True

    def __init__(self,
                 architecture: Union[dict, nn.Module],
                 mutator: Union[dict, nn.Module] = dict(type='OneShotMutator'),
                 sampler: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(architecture, mutator, data_preprocessor, init_cfg)
        sampler = dict(sampler or dict(type='uniform'))
        sampler_type = sampler.pop('type')
        if sampler_type == 'uniform':
            if sampler:
                raise ValueError(f'the uniform sampler takes no arguments, '
                                 f'got {sampler}')
            self.sampler = None
        elif sampler_type == 'flops_binned':
            self.sampler = FlopsBinnedSampler(self.architecture, self.mutator,
                                              **sampler)
        else:
            raise ValueError(f"sampler type {sampler_type!r} is unknown; use "
                             f"'uniform' or 'flops_binned'")
        # -1: not drawn yet. int64 buffers travel with checkpoints.
        self.register_buffer('path_seed', torch.tensor(-1, dtype=torch.int64))
        self.register_buffer('path_step', torch.tensor(0, dtype=torch.int64))

    # ----------------------------------------------------------- path choice
    def _path_rng(self) -> random.Random:
        if int(self.path_seed) < 0:
            # same value on every rank: drawn on rank 0 and broadcast
            self.path_seed.fill_(sync_random_seed())
        rng = random.Random(
            f'spos:{int(self.path_seed)}:{int(self.path_step)}')
        self.path_step += 1
        return rng

    def sample_subnet(self) -> Dict[str, str]:
        """Draw and activate the next path; every rank draws the same one.

        Returns:
            Dict[str, str]: The drawn path, decision key -> candidate name.
        """
        rng = self._path_rng()
        if self.sampler is None:
            choices = self.mutator.sample_choices(rng)
        else:
            choices = self.sampler.sample(rng)
        self.mutator.set_choices(choices)
        return choices

    # ------------------------------------------------------------ mmengine
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """Run the architecture in ``mode`` on the active path.

        A training-mode ``loss`` call first draws a new path. Sampling lives
        here, not in ``train_step``, because mmengine's DDP wrapper runs its
        own ``train_step`` and reaches the model only through ``forward``.
        Other calls use the active path.

        Args:
            inputs (torch.Tensor): The preprocessed input batch.
            data_samples (list, optional): The data samples of the batch.
                Defaults to None.
            mode (str): The forward mode, ``'loss'``, ``'predict'`` or
                ``'tensor'``, as for an mmengine ``BaseModel``.
                Defaults to ``'tensor'``.

        Returns:
            dict | list | torch.Tensor: What the architecture returns in
            ``mode``.
        """
        if mode == 'loss' and self.training:
            self.sample_subnet()
        return self.architecture(inputs, data_samples, mode=mode)
