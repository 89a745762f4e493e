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
    """Raw architecture parameters -> the arch weights the network takes.

    ``arch_params`` holds ``alpha_normal`` and ``alpha_reduce`` and,
    optionally (PC-DARTS), ``beta_normal`` and ``beta_reduce``. Returns
    ``ops_<cell>`` (softmax over ops) and, for each beta, ``edges_<cell>``
    (softmax over each node's edges). Gradients flow back to the raw
    parameters.
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
