"""An intermediate node of a DARTS cell: the choice among its input edges.

Node ``i`` of a cell sums one mixed op per earlier state (``2 + i`` edges).
With edge normalisation (PC-DARTS) each edge output, bypass included, is
scaled by its share ``softmax(beta)`` over this node's edges only, which
steadies the edge ranking that partial channels make noisy. Without it
(DARTS) the edges are summed as they are.

Like the mixed op, the node owns no architecture parameters: the owner
passes the op weights and the normalised edge weights (see
:func:`edge_softmax`) to :meth:`EdgeNormalisedNode.forward`.
"""
from typing import Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmrazor_lite.registry import MODELS


def node_edge_slices(steps: int, num_inputs: int = 2) -> List[Tuple[int, int]]:
    """Give the ``[start, end)`` of each node's edges in the flat edge order.

    Node ``i`` has ``num_inputs + i`` input edges, and edge ``start + j`` of
    node ``i`` comes from state ``j``. For 4 nodes and 2 cell inputs the
    slices are ``[(0, 2), (2, 5), (5, 9), (9, 14)]``.

    Args:
        steps (int): The number of intermediate nodes of the cell.
        num_inputs (int): The number of cell inputs (the states before the
            first node). Defaults to 2.

    Returns:
        List[Tuple[int, int]]: One ``(start, end)`` pair per node.
    """
    slices, start = [], 0
    for i in range(steps):
        end = start + num_inputs + i
        slices.append((start, end))
        start = end
    return slices


def edge_softmax(beta: torch.Tensor,
                 steps: int,
                 num_inputs: int = 2) -> torch.Tensor:
    """Take the softmax of the flat edge parameters ``beta`` within each node.

    Args:
        beta (torch.Tensor): The edge parameters, with one entry per edge
            (in the order of :func:`node_edge_slices`) along the last
            dimension.
        steps (int): The number of intermediate nodes of the cell.
        num_inputs (int): The number of cell inputs. Defaults to 2.

    Returns:
        torch.Tensor: The normalised edge weights, in the shape of
        ``beta``; the weights of each node's edges sum to 1.

    Raises:
        ValueError: If ``beta`` does not have one entry per edge.
    """
    expected = node_edge_slices(steps, num_inputs)[-1][1]
    if beta.shape[-1] != expected:
        raise ValueError(f'beta must have {expected} entries for {steps} '
                         f'nodes and {num_inputs} inputs, got shape '
                         f'{tuple(beta.shape)}')
    return torch.cat([
        beta[..., start:end].softmax(dim=-1)
        for start, end in node_edge_slices(steps, num_inputs)
    ],
                     dim=-1)


@MODELS.register_module()
class EdgeNormalisedNode(nn.Module):
    """Sum of the input edges of one node, optionally edge-normalised.

    Args:
        edges (Sequence[nn.Module]): One mixed op per input state, in state
            order. Each is called as ``edge(state, op_weights)``.
        normalise (bool): Whether to multiply the output of edge ``j`` by
            ``edge_weights[j]`` (PC-DARTS) or not (DARTS). Defaults to True.

    Raises:
        ValueError: If ``edges`` is empty.
    """

    def __init__(self, edges: Sequence[nn.Module], normalise: bool = True):
        super().__init__()
        if not edges:
            raise ValueError('EdgeNormalisedNode needs at least one edge')
        self.edges = nn.ModuleList(edges)
        self.normalise = normalise

    @property
    def num_edges(self) -> int:
        """The number of input edges of this node."""
        return len(self.edges)

    def forward(self,
                states: Sequence[torch.Tensor],
                op_weights: torch.Tensor,
                edge_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run every edge on its state and combine the outputs.

        Args:
            states (Sequence[torch.Tensor]): The node's input states, one
                per edge.
            op_weights (torch.Tensor): The op weights, of shape (num_edges,
                num_ops): one softmax row per edge.
            edge_weights (torch.Tensor, optional): This node's softmax of
                beta, of shape (num_edges,). It is required with
                ``normalise=True`` and refused without it. Defaults to None.

        Returns:
            torch.Tensor: The node's output.

        Raises:
            ValueError: If the numbers of states or op-weight rows differ
                from the number of edges, or ``edge_weights`` does not fit
                ``normalise``.
        """
        n = self.num_edges
        if len(states) != n:
            raise ValueError(f'this node has {n} input edges, got '
                             f'{len(states)} states')
        if op_weights.shape[0] != n:
            raise ValueError(f'op_weights must have {n} rows (one per edge), '
                             f'got shape {tuple(op_weights.shape)}')
        self._check_edge_weights(edge_weights)
        # a generator: each edge output is added, then freed, in turn
        return self.combine(
            (edge(h, op_weights[j])
             for j, (h, edge) in enumerate(zip(states, self.edges))),
            edge_weights)

    def combine(self,
                edge_outputs: Iterable[torch.Tensor],
                edge_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Combine the edges' outputs into the node, however they were made.

        Every caller, edge by edge or fused (see
        :func:`state_edge_outputs`), sums in this one order.

        Args:
            edge_outputs (Iterable[torch.Tensor]): The outputs
                ``edge_j(state_j, ...)`` of the edges, in edge order.
            edge_weights (torch.Tensor, optional): This node's softmax of
                beta, of shape (num_edges,). It is required with
                ``normalise=True`` and refused without it. Defaults to None.

        Returns:
            torch.Tensor: The node's output.

        Raises:
            ValueError: If ``edge_weights`` does not fit ``normalise``.
        """
        self._check_edge_weights(edge_weights)
        if self.normalise:
            return sum(edge_weights[j] * out
                       for j, out in enumerate(edge_outputs))
        return sum(edge_outputs)

    def _check_edge_weights(self, edge_weights) -> None:
        n = self.num_edges
        if self.normalise:
            if edge_weights is None:
                raise ValueError('this node is edge-normalised: pass '
                                 'edge_weights (softmax of beta over its '
                                 'edges)')
            if edge_weights.shape != (n, ):
                raise ValueError(f'edge_weights must have shape ({n},), got '
                                 f'{tuple(edge_weights.shape)}')
        elif edge_weights is not None:
            raise ValueError('this node was built with normalise=False (plain '
                             'DARTS); it takes no edge_weights')

    def extra_repr(self) -> str:
        """Show ``normalise`` in the module's repr."""
        return f'normalise={self.normalise}'
