"""The genotype a DARTS search has found: its architecture parameters read
as the two strongest input edges per node and the strongest op per edge."""
from typing import List, Optional, Sequence, Tuple

import torch

from mmrazor_lite.mutables.edge_normalised_node import (edge_softmax,
                                                        node_edge_slices)
from mmrazor_lite.ops.darts_ops import DARTS_PRIMITIVES
from mmrazor_lite.structures.genotype import Genotype


def derive_genotype(alpha_normal: torch.Tensor,
                    alpha_reduce: torch.Tensor,
                    beta_normal: Optional[torch.Tensor] = None,
                    beta_reduce: Optional[torch.Tensor] = None,
                    steps: int = 4,
                    multiplier: int = 4,
                    primitives: Sequence[str] = DARTS_PRIMITIVES) -> Genotype:
    """Derive the genotype of raw (pre-softmax) architecture parameters.

    Per node, the 2 input edges with the largest
    ``max_{op != none} softmax(alpha)[edge, op] * w_edge`` are kept,
    strongest first (on ties, the lower input first), where ``w_edge`` is
    the node-wise ``softmax(beta)`` (PC-DARTS) or 1 (DARTS, where
    ``beta_* = None``). Each kept edge takes its strongest non-``none`` op
    (on ties, the earlier op).

    Args:
        alpha_normal (torch.Tensor): The op parameters of the normal cell,
            of shape (E, len(primitives)).
        alpha_reduce (torch.Tensor): The op parameters of the reduction
            cell, of shape (E, len(primitives)).
        beta_normal (torch.Tensor, optional): The edge parameters of the
            normal cell, of shape (E,) (PC-DARTS). Defaults to None.
        beta_reduce (torch.Tensor, optional): The edge parameters of the
            reduction cell, of shape (E,) (PC-DARTS). Defaults to None.
        steps (int): The number of intermediate nodes of a cell.
            Defaults to 4.
        multiplier (int): The number of last nodes concatenated into the
            cell output. Defaults to 4.
        primitives (Sequence[str]): The op names, in the order of the
            columns of alpha. Defaults to ``DARTS_PRIMITIVES``.

    Returns:
        Genotype: The normal and reduction cells with their concatenated
        nodes.

    Raises:
        ValueError: If only one of the betas is given, an alpha or beta
            has the wrong shape, or ``primitives`` holds no op but
            ``none``.
    """
    if (beta_normal is None) != (beta_reduce is None):
        raise ValueError('pass both beta_normal and beta_reduce (PC-DARTS) '
                         'or neither (DARTS)')
    cells = {}
    for cell, alpha, beta in (('normal', alpha_normal, beta_normal),
                              ('reduce', alpha_reduce, beta_reduce)):
        cells[cell] = _parse_cell(cell, alpha, beta, steps, primitives)
    concat = list(range(2 + steps - multiplier, steps + 2))
    return Genotype(cells['normal'], concat, cells['reduce'], list(concat))


@torch.no_grad()
def _parse_cell(cell: str, alpha: torch.Tensor, beta: Optional[torch.Tensor],
                steps: int,
                primitives: Sequence[str]) -> List[Tuple[str, int]]:
    num_edges = node_edge_slices(steps)[-1][1]
    if tuple(alpha.shape) != (num_edges, len(primitives)):
        raise ValueError(f'alpha_{cell} must have shape '
                         f'({num_edges}, {len(primitives)}) for {steps} '
                         f'nodes and primitives {list(primitives)}, got '
                         f'{tuple(alpha.shape)}')
    candidates = [i for i, p in enumerate(primitives) if p != 'none']
    if not candidates:
        raise ValueError(f'primitives {list(primitives)} hold no op but none')
    # float32 as the search ran; the decisions can hinge on ~1e-5 margins.
    weights = alpha.detach().float().softmax(dim=-1)
    if beta is not None:
        weights = weights * edge_softmax(beta.detach().float(),
                                         steps).unsqueeze(-1)
    rows = weights[:, candidates].tolist()
    gene = []
    for start, end in node_edge_slices(steps):
        strength = [max(rows[e]) for e in range(start, end)]
        kept = sorted(range(end - start), key=lambda j: -strength[j])[:2]
        for j in kept:
            row = rows[start + j]
            best = max(range(len(row)), key=lambda c: (row[c], -c))
            gene.append((primitives[candidates[best]], j))
    return gene
