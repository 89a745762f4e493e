"""Own the DARTS / PC-DARTS architecture parameters of a search network."""
from collections import OrderedDict
from typing import Dict

import torch
import torch.nn as nn

from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces.darts_search_network import (DartsSearchNetwork,
                                                      darts_arch_weights)
from mmrazor_lite.subnet.genotype import Genotype, derive_genotype


@MODELS.register_module()
class DartsMutator(nn.Module):
    """The architecture parameters of a :class:`DartsSearchNetwork`.

    ``alpha_normal`` / ``alpha_reduce`` (edges x ops) and, with edge
    normalisation (PC-DARTS), ``beta_normal`` / ``beta_reduce`` (edges) are
    ``nn.Parameter`` s of this module: they are in the state dict (so in
    every checkpoint and restored by ``--resume``), move with ``.to()`` and
    are shared by all cells of a type. The mutator hands their softmaxes to
    the network through its arch-weights provider, so an mmpretrain
    classifier calls the backbone as usual.

    Args:
        init_std (float): parameters start at ``init_std * N(0, 1)`` (the
            papers' 1e-3).
    """

    def __init__(self, init_std: float = 1e-3):
        super().__init__()
        self.init_std = init_std
        self._network = None  # a plain reference, not a submodule

    def prepare_from_supernet(self, model: nn.Module) -> None:
        """Find the search network in ``model`` and create the parameters."""
        found = [m for m in model.modules()
                 if isinstance(m, DartsSearchNetwork)]
        if len(found) != 1:
            raise ValueError(
                f'{type(model).__name__} must hold exactly one '
                f'DartsSearchNetwork, found {len(found)}')
        network = found[0]
        for name, shape in network.arch_param_shapes.items():
            self.register_parameter(
                name, nn.Parameter(self.init_std * torch.randn(*shape)))
        self.__dict__['_network'] = network
        network.set_arch_weights_provider(self.arch_weights)

    # ------------------------------------------------------------ queries
    @property
    def network(self) -> DartsSearchNetwork:
        if self._network is None:
            raise RuntimeError('call prepare_from_supernet(model) first')
        return self._network

    def arch_params(self) -> 'OrderedDict[str, nn.Parameter]':
        """The raw parameters by name (``alpha_normal`` ...)."""
        return OrderedDict(self.named_parameters())

    def arch_weights(self) -> Dict[str, torch.Tensor]:
        """Their softmaxes, as the network takes them (differentiable)."""
        return darts_arch_weights(self.arch_params(), self.network.steps)

    def genotype(self) -> Genotype:
        """The cell the current parameters choose (spec's derivation)."""
        params = self.arch_params()
        return derive_genotype(
            params['alpha_normal'], params['alpha_reduce'],
            params.get('beta_normal'), params.get('beta_reduce'),
            steps=self.network.steps, multiplier=self.network.multiplier,
            primitives=self.network.primitives)

    @torch.no_grad()
    def probabilities(self) -> Dict[str, torch.Tensor]:
        """softmax(alpha) per edge and node-wise softmax(beta), detached."""
        return {k: v.detach().cpu() for k, v in self.arch_weights().items()}
