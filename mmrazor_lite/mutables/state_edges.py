"""All the mixed ops that leave one state of a cell, computed together.

Every edge leaving a state takes the same input (the same first ``C/k``
channels under PC-DARTS) with the same stride, so instead of one
:class:`PartialChannelMixedOp` call per edge:

- one ReLU, one max pool, one avg pool and one bypass pool per state;
- in training mode one BN of each pooled tensor (an affine-free BN of the
  same input gives the same output on every edge; the other edges' BNs
  still update their running statistics);
- one grouped convolution (on CPU: depthwise ones channels-last, 1x1
  ones as one batched matmul) per conv layer kind for all edges (see
  :mod:`mmrazor_lite.ops.stacked_ops`), parameters kept per edge;
- the weighting by ``softmax(alpha)`` and the sum over candidates (in the
  candidates' order, as each edge sums them) on all edges at once.

Each edge's output is what the edge alone computes, up to float rounding
(the same products; the sums over candidates in the same order);
gradients agree up to float rounding of sums taken in another order. A
state with a single outgoing edge runs this way too (the convs' faster
layouts); edges that cannot be stacked (different configurations,
unknown candidate types) run one by one.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor_lite.ops.darts_ops import (DilConv, FactorizedReduce, PoolBN,
                                        SepConv, Zero)
from mmrazor_lite.ops.polyphase import polyphase_applies, to_polyphase
from mmrazor_lite.ops.stacked_ops import (batch_norm_shared_output,
                                          cpu_layouts, stacked_dil_conv,
                                          stacked_factorized_reduce,
                                          stacked_sep_conv)
from .partial_channel_mixed_op import PartialChannelMixedOp

_STACKABLE = (Zero, PoolBN, nn.Identity, FactorizedReduce, SepConv, DilConv)


def can_stack(edges: Sequence[nn.Module]) -> bool:
    """Tell whether :func:`state_edge_outputs` can run ``edges`` together.

    They can when all of them are :class:`PartialChannelMixedOp` s of the
    same configuration, whose candidates are of the same stackable types.

    Args:
        edges (Sequence[nn.Module]): The mixed ops leaving one state.

    Returns:
        bool: True when the edges can be stacked.
    """
    first = edges[0]
    if type(first) is not PartialChannelMixedOp:
        return False
    config = (first.channels, first.stride, first.k, first.channel_mix,
              first.choices)
    for edge in edges:
        if type(edge) is not PartialChannelMixedOp or (edge.channels,
                                                       edge.stride, edge.k,
                                                       edge.channel_mix,
                                                       edge.choices) != config:
            return False
        for name in edge.choices:
            op = edge.candidate(name)
            if type(op) not in _STACKABLE or \
                    type(op) is not type(first.candidate(name)):
                return False
    return True


def state_edge_outputs(x: torch.Tensor, edges: Sequence[nn.Module],
                       op_weights: torch.Tensor) -> List[torch.Tensor]:
    """Compute the outputs of all the edges leaving state ``x`` together.

    The result is ``[edge_e(x, op_weights[e]) for e]``, up to float
    rounding.

    Args:
        x (torch.Tensor): The state, of shape (N, C, H, W).
        edges (Sequence[nn.Module]): Its outgoing mixed ops. They run
            together when all are built alike (see :func:`can_stack`), and
            one by one otherwise.
        op_weights (torch.Tensor): The op weights, of shape (E, n_ops): row
            ``e`` for edge ``e``.

    Returns:
        List[torch.Tensor]: One output per edge, in edge order.

    Raises:
        ValueError: If ``x`` does not have the channels the edges were
            built for.
    """
    if not can_stack(edges):
        return [edge(x, w) for edge, w in zip(edges, op_weights)]
    first = edges[0]
    if x.shape[1] != first.channels:
        raise ValueError(f'{type(first).__name__} was built for '
                         f'{first.channels} channels, got input of shape '
                         f'{tuple(x.shape)}')
    num_edges = len(edges)
    part = first.channels // first.k
    processed = x[:, :part] if first.k > 1 else x
    relu_x = stacked_relu_x = phases = pool_x = None
    out = None
    for i, name in enumerate(first.choices):
        ops = [edge.candidate(name) for edge in edges]
        if isinstance(ops[0], Zero):  # adds exactly nothing (see the op)
            continue
        if isinstance(ops[0], (SepConv, DilConv, FactorizedReduce)) and \
                relu_x is None:
            relu_x = F.relu(processed)
        if isinstance(ops[0], (SepConv, DilConv)):
            if stacked_relu_x is None:  # one copy per edge: grouped convs
                stacked_relu_x = _repeat_per_edge(relu_x, num_edges,
                                                  cpu_layouts(relu_x))
            if isinstance(ops[0], SepConv):
                y = stacked_sep_conv(stacked_relu_x, ops)
            else:
                if phases is None and cpu_layouts(stacked_relu_x) \
                        and polyphase_applies(ops[0].depthwise,
                                              stacked_relu_x):
                    phases = to_polyphase(stacked_relu_x)  # for both
                y = stacked_dil_conv(stacked_relu_x, ops, phases)
            y = _per_edge(y, num_edges)
        elif isinstance(ops[0], FactorizedReduce):
            y = _per_edge(stacked_factorized_reduce(relu_x, ops), num_edges)
        elif isinstance(ops[0], PoolBN):
            if pool_x is None:  # for both pools
                pool_x = _pool_input(processed)
            y = _pool_bn(pool_x, ops)
        else:  # identity
            y = processed.unsqueeze(1)
        weight = op_weights[:, i].view(1, num_edges, 1, 1, 1)
        if out is None:
            out = weight * y
        else:  # one pass, no temporary (the arch step ~5 % faster)
            out = out.addcmul_(weight, y)
    if out is None:  # only ``none``: each edge's zeros
        return [edge(x, w) for edge, w in zip(edges, op_weights)]
    if first.k == 1:
        return list(out.unbind(1))
    bypass = first.bypass(x)  # the same for every edge: computed once
    return list(first.mix_back_edges(out, bypass).unbind(1))


def fused_cell_nodes(
        states: List[torch.Tensor],
        nodes: Sequence[nn.Module],
        slices: Sequence[Tuple[int, int]],
        op_weights: torch.Tensor,
        edge_weights: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
    """Compute the nodes of a cell, each state's outgoing edges together.

    A state's edges run as soon as the state exists. Each node sums its
    edges in edge order (:meth:`EdgeNormalisedNode.combine`), as the
    edge-by-edge cell does.

    Args:
        states (List[torch.Tensor]): The cell's (preprocessed) inputs. The
            nodes are appended to this list in place.
        nodes (Sequence[nn.Module]): The :class:`EdgeNormalisedNode` s.
            Node ``i`` takes states ``0 .. i + 1``, its edge ``j`` coming
            from state ``j``.
        slices (Sequence[Tuple[int, int]]): Each node's ``[start, end)`` in
            the flat edge order (see :func:`node_edge_slices`).
        op_weights (torch.Tensor): The op weights of the cell type, of
            shape (E, n_ops).
        edge_weights (torch.Tensor, optional): The normalised edge weights
            of the cell type, of shape (E,), for edge-normalised nodes.
            Defaults to None.

    Returns:
        List[torch.Tensor]: ``states``, the cell inputs followed by the
        nodes.
    """
    outputs = {}  # (node, state) -> that edge's output
    steps = len(nodes)

    def leave(j: int) -> None:
        targets = range(max(j - 1, 0), steps)
        rows = [slices[i][0] + j for i in targets]
        outs = state_edge_outputs(states[j],
                                  [nodes[i].edges[j] for i in targets],
                                  op_weights[rows])
        outputs.update(((i, j), out) for i, out in zip(targets, outs))

    leave(0)
    leave(1)
    for i, (node, (start, end)) in enumerate(zip(nodes, slices)):
        edges = None if edge_weights is None else edge_weights[start:end]
        states.append(
            node.combine([outputs.pop((i, j)) for j in range(end - start)],
                         edges))
        if i + 1 < steps:
            leave(len(states) - 1)
    return states


def _repeat_per_edge(x: torch.Tensor, num_edges: int,
                     channels_last: bool) -> torch.Tensor:
    """``x`` repeated edge-major along the channels (N, E * C, H, W), as
    one copy; channels-last memory when ``channels_last``."""
    if not channels_last:
        return x.repeat(1, num_edges, 1, 1)
    return x.permute(0, 2, 3, 1).repeat(1, 1, 1, num_edges).permute(0, 3, 1, 2)


def _per_edge(stacked: torch.Tensor, num_edges: int) -> torch.Tensor:
    """(N, E * C, H, W) edge-major -> (N, E, C, H, W)."""
    n, _, h, w = stacked.shape
    return stacked.view(n, num_edges, -1, h, w)


def _pool_input(x: torch.Tensor) -> torch.Tensor:
    """``x`` in the memory format the pools run fastest on: channels-last
    on CPU (max pooling 1.2x faster with 4 channels, 2.4-3x with 8 or
    more; the same values; pcdarts_cpu_layouts.py), else as it is."""
    if cpu_layouts(x):
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _pool_bn(x: torch.Tensor, ops: Sequence[PoolBN]) -> torch.Tensor:
    """The pool once; its BNs shared when exact (training), else each
    edge's own (eval: own running statistics). (N, 1 or E, C, H, W);
    the BN on NCHW, where it is fastest with few channels."""
    pooled = ops[0].pool(x).contiguous()
    shared = batch_norm_shared_output(pooled, [op.bn for op in ops])
    if shared is not None:
        return shared.unsqueeze(1)
    return torch.stack([op.bn(pooled) for op in ops], dim=1)
