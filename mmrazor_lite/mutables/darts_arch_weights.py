"""Raw DARTS / PC-DARTS architecture parameters -> the weights of the choices.

The parameters (``alpha_<cell>`` of shape (E, n_ops) and, with edge
normalisation, ``beta_<cell>`` of shape (E,)) are shared by all cells of a
type. The choices take their softmaxes: a row of ``ops_<cell>`` weighs the
candidates of a :class:`PartialChannelMixedOp`, and ``edges_<cell>``
(normalised within each node) weighs the input edges of an
:class:`EdgeNormalisedNode`. Both the network that consumes these weights and
the mutator that owns the parameters use this one definition.
"""
from typing import Dict, Mapping

import torch

from mmrazor_lite.mutables.edge_normalised_node import edge_softmax

CELL_TYPES = ('normal', 'reduce')


def darts_arch_weights(arch_params: Mapping[str, torch.Tensor],
                       steps: int = 4) -> Dict[str, torch.Tensor]:
    """Turn raw architecture parameters into the arch weights a network takes.

    Gradients flow back from the weights to the raw parameters.

    Args:
        arch_params (Mapping[str, torch.Tensor]): The raw parameters:
            ``alpha_normal`` and ``alpha_reduce`` and, optionally
            (PC-DARTS), ``beta_normal`` and ``beta_reduce``.
        steps (int): The number of intermediate nodes of a cell, which
            groups the edges of each beta by node. Defaults to 4.

    Returns:
        Dict[str, torch.Tensor]: ``ops_<cell>`` (the softmax over ops of
        each edge) for both cell types and, for each beta given,
        ``edges_<cell>`` (the softmax over each node's edges).

    Raises:
        KeyError: If ``alpha_normal`` or ``alpha_reduce`` is missing.
        ValueError: If a beta does not have one entry per edge of
            ``steps`` nodes.
    """
    weights = {}
    for cell in CELL_TYPES:
        alpha = arch_params.get(f'alpha_{cell}')
        if alpha is None:
            raise KeyError(f'arch_params needs alpha_{cell}; got keys '
                           f'{sorted(arch_params)}')
        weights[f'ops_{cell}'] = alpha.softmax(dim=-1)
        beta = arch_params.get(f'beta_{cell}')
        if beta is not None:
            weights[f'edges_{cell}'] = edge_softmax(beta, steps)
    return weights
