"""Own the DARTS / PC-DARTS architecture parameters of a search network."""
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator

import torch
import torch.nn as nn

from mmrazor_lite.mutables.darts_arch_weights import darts_arch_weights
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures.genotype import Genotype
from .genotype_derivation import derive_genotype

# What makes a module the search network of a mutator (duck typing, so the
# mutator need not know which network class it drives).
NETWORK_PROTOCOL = ('arch_param_shapes', 'set_arch_weights_provider')


def _is_search_network(module: nn.Module) -> bool:
    return all(hasattr(module, name) for name in NETWORK_PROTOCOL)


@MODELS.register_module()
class DartsMutator(nn.Module):
    """The architecture parameters of a DARTS search network.

    ``alpha_normal`` / ``alpha_reduce`` (edges x ops) and, with edge
    normalisation (PC-DARTS), ``beta_normal`` / ``beta_reduce`` (edges) are
    ``nn.Parameter`` s of this module: they are in the state dict (so in
    every checkpoint and restored by ``--resume``), move with ``.to()`` and
    are shared by all cells of a type. The mutator hands their softmaxes to
    the network through its arch-weights provider, so an mmpretrain
    classifier calls the backbone as usual.

    The search network is the one module of the model with
    ``arch_param_shapes`` (name -> shape of each raw parameter to create) and
    ``set_arch_weights_provider(fn)`` (``fn()`` returns
    :func:`darts_arch_weights` of the parameters); it also exposes ``steps``,
    ``multiplier`` and ``primitives`` for the arch weights and the genotype
    (``DartsSearchNetwork`` is such a network).

    Args:
        init_std (float): The parameters start at ``init_std * N(0, 1)``;
            the papers use 1e-3. Defaults to 1e-3.
    """

    def __init__(self, init_std: float = 1e-3):
        super().__init__()
        self.init_std = init_std
        self._network = None  # a plain reference, not a submodule
        self._constant = False

    def prepare_from_supernet(self, model: nn.Module) -> None:
        """Find the search network in ``model`` and create the parameters.

        The mutator also becomes the network's arch-weights provider.

        Args:
            model (nn.Module): The model holding the search network.

        Raises:
            ValueError: If ``model`` does not hold exactly one search
                network.
        """
        found = [(name, m) for name, m in model.named_modules()
                 if _is_search_network(m)]
        if len(found) != 1:
            names = [
                f'{name or "<root>"} ({type(m).__name__})' for name, m in found
            ]
            raise ValueError(
                f'{type(model).__name__} must hold exactly one search '
                f'network (a module with {" and ".join(NETWORK_PROTOCOL)}), '
                f'found {len(found)}: {names}')
        network = found[0][1]
        for name, shape in network.arch_param_shapes.items():
            self.register_parameter(
                name, nn.Parameter(self.init_std * torch.randn(*shape)))
        self.__dict__['_network'] = network
        network.set_arch_weights_provider(self.arch_weights)

    # ------------------------------------------------------------ queries
    @property
    def network(self) -> nn.Module:
        """The search network; ``RuntimeError`` before it is prepared."""
        if self._network is None:
            raise RuntimeError('call prepare_from_supernet(model) first')
        return self._network

    def arch_params(self) -> 'OrderedDict[str, nn.Parameter]':
        """Return the raw parameters by name (``alpha_normal`` ...).

        Returns:
            OrderedDict[str, nn.Parameter]: The raw architecture parameters.
        """
        return OrderedDict(self.named_parameters())

    def arch_weights(self) -> Dict[str, torch.Tensor]:
        """Return the parameters' softmaxes, as the network takes them.

        They are differentiable, except within :meth:`constant_weights`.

        Returns:
            Dict[str, torch.Tensor]: :func:`darts_arch_weights` of the
            parameters.
        """
        with torch.no_grad() if self._constant else nullcontext():
            return darts_arch_weights(self.arch_params(), self.network.steps)

    @contextmanager
    def constant_weights(self) -> Iterator[None]:
        """Hand the network the arch weights as constants within the context.

        Forwards within the context get no graph back to the parameters.
        This is for the weight step, whose backward would otherwise also
        compute (and throw away) the architecture gradient, ~5-8 % of a CPU
        step.

        Yields:
            None: Nothing; the previous state is restored on exit.
        """
        previous, self._constant = self._constant, True
        try:
            yield
        finally:
            self._constant = previous

    def genotype(self) -> Genotype:
        """Derive the cell the current parameters choose.

        The derivation is the spec's, as :func:`derive_genotype` makes it.

        Returns:
            Genotype: The normal and reduction cells.
        """
        params = self.arch_params()
        return derive_genotype(
            params['alpha_normal'],
            params['alpha_reduce'],
            params.get('beta_normal'),
            params.get('beta_reduce'),
            steps=self.network.steps,
            multiplier=self.network.multiplier,
            primitives=self.network.primitives)

    @torch.no_grad()
    def probabilities(self) -> Dict[str, torch.Tensor]:
        """Return softmax(alpha) per edge and node-wise softmax(beta).

        Returns:
            Dict[str, torch.Tensor]: :meth:`arch_weights`, detached and on
            the CPU.
        """
        return {k: v.detach().cpu() for k, v in self.arch_weights().items()}
