"""The DARTS / PC-DARTS search network: stem, 2 cell types, pool, classifier.

How architecture weights reach the network
------------------------------------------
The network owns no architecture parameters. The raw parameters
(``alpha_normal``, ``alpha_reduce`` of shape (E, n_ops) and, with edge
normalisation, ``beta_normal``, ``beta_reduce`` of shape (E,);
``E = 14`` for 4 nodes; see :attr:`DartsSearchNetwork.arch_param_shapes`)
live with their owner (a mutator), which turns them into *arch weights* with
:func:`mmrazor_lite.mutables.darts_arch_weights.darts_arch_weights`::

    {'ops_normal':   softmax(alpha_normal, -1),        # (E, n_ops)
     'ops_reduce':   softmax(alpha_reduce, -1),
     'edges_normal': softmax of beta_normal per node,  # (E,), PC-DARTS only
     'edges_reduce': softmax of beta_reduce per node}

and hands them over in one of two ways:

- explicitly: ``net(x, arch_weights)``;
- through a provider: ``net.set_arch_weights_provider(fn)`` where ``fn()``
  returns that dict; then ``net(x)`` works, which is how an mmpretrain
  ``ImageClassifier`` calls its backbone.

All cells of a type share the same weights. Edge ``e`` of a cell feeds node
``i`` from state ``j`` with ``e = offset(i) + j``, offsets 0, 2, 5, 9.

Outputs: with ``num_classes`` set, the logits (global average pool + linear,
as in the reference search network); with ``num_classes=None``, a 1-tuple
with the last cell's feature map, for a neck and head to take over.

Module layout: ``stem`` (CIFAR) or ``stem0`` / ``stem1`` (ImageNet),
``cells.c.preprocess{0,1}``, ``cells.c.nodes.i.edges.j`` (a
:class:`PartialChannelMixedOp`, candidates under ``_candidates.<name>``),
``classifier``. ``tools/model_converters/pcdarts_search_to_mmrazor_lite.py``
maps the reference PC-DARTS state dict onto it.
"""
from typing import Callable, Dict, Mapping, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrazor_lite.mutables.darts_arch_weights import CELL_TYPES
from mmrazor_lite.mutables.edge_normalised_node import (EdgeNormalisedNode,
                                                        node_edge_slices)
from mmrazor_lite.mutables.partial_channel_mixed_op import \
    PartialChannelMixedOp
from mmrazor_lite.mutables.state_edges import fused_cell_nodes
from mmrazor_lite.ops.darts_ops import (DARTS_PRIMITIVES, FactorizedReduce,
                                        ReLUConvBN)
from mmrazor_lite.ops.darts_stems import (check_stem_type, cifar_stem,
                                          imagenet_stems)
from mmrazor_lite.registry import MODELS


@MODELS.register_module()
class DartsSearchCell(nn.Module):
    """A search cell: two preprocessed inputs, ``steps`` nodes, a concat.

    Every node mixes all the candidate ops on an edge from each earlier
    state (:class:`PartialChannelMixedOp`); the output concatenates the
    last ``multiplier`` nodes.

    Args:
        prev_prev_channels (int): The channels of the output of the cell
            two back (s0).
        prev_channels (int): The channels of the output of the cell one
            back (s1).
        channels (int): The channels of every node of this cell.
        reduction (bool): Whether this is a reduction cell, whose edges
            from the two inputs have stride 2.
        reduction_prev (bool): Whether s0 is twice the size of s1 (the
            previous cell reduced), so that it is preprocessed by a
            FactorizedReduce.
        steps (int): The number of intermediate nodes. Defaults to 4.
        multiplier (int): How many of the last nodes are concatenated into
            the output, in ``[1, steps]``. Defaults to 4.
        k (int): The partial-channel ratio, see
            :class:`PartialChannelMixedOp`; 1 is DARTS. Defaults to 1.
        primitives (Sequence[str]): The candidate ops, see
            :class:`PartialChannelMixedOp`. Defaults to
            ``DARTS_PRIMITIVES``.
        channel_mix (str): How the processed and bypassed channels are
            mixed when ``k > 1``, ``'shuffle'`` or ``'shift'``, see
            :class:`PartialChannelMixedOp`. Defaults to ``'shuffle'``.
        edge_normalisation (bool): Whether to use PC-DARTS edge
            normalisation. Defaults to False.
        fuse_edges (bool): Whether to compute the edges that leave one
            state together (:func:`fused_cell_nodes`: shared ReLU / pools,
            grouped convs; the same values, parameters and state dict,
            faster); ``False`` runs the edges one by one. It is an
            attribute, so it can be switched on a built cell. Defaults to
            True.

    Raises:
        ValueError: If ``multiplier`` is not in ``[1, steps]``, or ``k`` or
            ``channel_mix`` is invalid for :class:`PartialChannelMixedOp`.
    """

    def __init__(self,
                 prev_prev_channels: int,
                 prev_channels: int,
                 channels: int,
                 reduction: bool,
                 reduction_prev: bool,
                 steps: int = 4,
                 multiplier: int = 4,
                 k: int = 1,
                 primitives: Sequence[str] = DARTS_PRIMITIVES,
                 channel_mix: str = 'shuffle',
                 edge_normalisation: bool = False,
                 fuse_edges: bool = True):
        super().__init__()
        if not 1 <= multiplier <= steps:
            raise ValueError(f'multiplier must be in [1, steps={steps}], got '
                             f'{multiplier}')
        self.reduction = reduction
        self.fuse_edges = fuse_edges
        self.steps = steps
        self.multiplier = multiplier
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(
                prev_prev_channels, channels, affine=False)
        else:
            self.preprocess0 = ReLUConvBN(
                prev_prev_channels, channels, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(
            prev_channels, channels, 1, 1, 0, affine=False)
        nodes = []
        for start, end in node_edge_slices(steps):
            edges = [
                PartialChannelMixedOp(
                    channels,
                    stride=2 if reduction and j < 2 else 1,
                    k=k,
                    primitives=primitives,
                    channel_mix=channel_mix,
                    affine=False) for j in range(end - start)
            ]
            nodes.append(
                EdgeNormalisedNode(edges, normalise=edge_normalisation))
        self.nodes = nn.ModuleList(nodes)

    def forward(self,
                s0: torch.Tensor,
                s1: torch.Tensor,
                op_weights: torch.Tensor,
                edge_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the cell output from the outputs of the two cells before.

        Args:
            s0 (torch.Tensor): The output of the cell two back.
            s1 (torch.Tensor): The output of the cell one back.
            op_weights (torch.Tensor): The op weights of this cell type,
                ``(E, n_ops)``.
            edge_weights (torch.Tensor, optional): The edge weights of this
                cell type, ``(E,)``, with edge normalisation. Defaults to
                None.

        Returns:
            torch.Tensor: The last ``multiplier`` nodes, concatenated.
        """
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        slices = node_edge_slices(self.steps)
        if self.fuse_edges:
            states = fused_cell_nodes(states, self.nodes, slices, op_weights,
                                      edge_weights)
            return torch.cat(states[-self.multiplier:], dim=1)
        for node, (start, end) in zip(self.nodes, slices):
            edges = None if edge_weights is None else edge_weights[start:end]
            states.append(node(states, op_weights[start:end], edges))
        return torch.cat(states[-self.multiplier:], dim=1)


@MODELS.register_module()
class DartsSearchNetwork(BaseModule):
    """DARTS (``k=1``) / PC-DARTS (``k>1``) search network.

    Reduction cells sit at ``num_layers // 3`` and ``2 * num_layers // 3``
    and double the channels. Every op and preprocess BN is ``affine=False``;
    only the stem BNs are affine. See the module docstring for how the
    architecture weights are passed.

    Args:
        channels (int): The channels of the first cells' nodes. Defaults
            to 16.
        num_layers (int): The number of cells. Defaults to 8.
        num_classes (int, optional): The classifier outputs; ``None``
            returns the last feature map (backbone mode). Defaults to 10.
        steps (int): The number of nodes per cell. Defaults to 4.
        multiplier (int): The number of nodes concatenated into a cell's
            output. Defaults to 4.
        stem_multiplier (int): The stem width is ``stem_multiplier *
            channels``. Defaults to 3.
        k (int): The partial-channel ratio (PC-DARTS: 4 on CIFAR, 2 on
            ImageNet; DARTS: 1). Defaults to 4.
        edge_normalisation (bool): Whether to use PC-DARTS edge
            normalisation, which needs the ``edges_*`` weights. Defaults
            to True.
        stem_type (str): ``'cifar'`` (conv3x3 + BN, full resolution) or
            ``'imagenet'`` (three stride-2 convs; cell 0 sees its s0 at
            twice the size of s1, so it reduces it with a
            FactorizedReduce). Defaults to ``'cifar'``.
        primitives (Sequence[str]): The candidate ops. Defaults to
            ``DARTS_PRIMITIVES``.
        channel_mix (str): ``'shuffle'`` or ``'shift'``, used by PC-DARTS
            only (``k > 1``). Defaults to ``'shuffle'``.
        fuse_edges (bool): Whether each cell computes the edges leaving a
            state together (see :class:`DartsSearchCell`); ``False`` takes
            the edge-by-edge path. :meth:`set_fuse_edges` switches a built
            network. Defaults to True.
        init_cfg (dict | list[dict], optional): The weight initialisation,
            as in :class:`BaseModule`. Defaults to None.

    Raises:
        ValueError: If ``stem_type`` is unknown, ``num_layers`` is not
            positive or a cell's arguments are invalid (see
            :class:`DartsSearchCell`).
    """

    def __init__(self,
                 channels: int = 16,
                 num_layers: int = 8,
                 num_classes: Optional[int] = 10,
                 steps: int = 4,
                 multiplier: int = 4,
                 stem_multiplier: int = 3,
                 k: int = 4,
                 edge_normalisation: bool = True,
                 stem_type: str = 'cifar',
                 primitives: Sequence[str] = DARTS_PRIMITIVES,
                 channel_mix: str = 'shuffle',
                 fuse_edges: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_stem_type(stem_type)
        if num_layers < 1:
            raise ValueError(f'num_layers must be positive, got {num_layers}')
        self.steps = steps
        self.multiplier = multiplier
        self.k = k
        self.edge_normalisation = edge_normalisation
        self.stem_type = stem_type
        self.primitives = tuple(primitives)
        self.num_edges = node_edge_slices(steps)[-1][1]
        self.reduction_indices = (num_layers // 3, 2 * num_layers // 3)
        self._arch_weights_provider: Optional[Callable[[], Mapping]] = None

        stem_channels = stem_multiplier * channels
        if stem_type == 'cifar':
            self.stem = cifar_stem(stem_channels)
            reduction_prev = False
        else:
            self.stem0, self.stem1 = imagenet_stems(stem_channels)
            reduction_prev = True

        prev_prev, prev, cur = stem_channels, stem_channels, channels
        cells = []
        for i in range(num_layers):
            reduction = i in self.reduction_indices
            if reduction:
                cur *= 2
            cells.append(
                DartsSearchCell(prev_prev, prev, cur, reduction,
                                reduction_prev, steps, multiplier, k,
                                self.primitives, channel_mix,
                                edge_normalisation, fuse_edges))
            reduction_prev = reduction
            prev_prev, prev = prev, multiplier * cur
        self.cells = nn.ModuleList(cells)
        self.out_channels = prev
        self.num_classes = num_classes
        if num_classes is not None:
            self.global_pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(prev, num_classes)

    def set_fuse_edges(self, fuse: bool) -> None:
        """Switch every cell between fused and edge-by-edge edges.

        Args:
            fuse (bool): Whether the cells compute the edges leaving a
                state together (True) or one by one (False).
        """
        for cell in self.cells:
            cell.fuse_edges = bool(fuse)

    # ---------------------------------------------------------- arch weights
    @property
    def arch_param_shapes(self) -> Dict[str, tuple]:
        """The names and shapes of the raw architecture parameters expected.

        They are ``alpha_normal`` and ``alpha_reduce`` of shape
        ``(E, n_ops)`` and, with edge normalisation, ``beta_normal`` and
        ``beta_reduce`` of shape ``(E,)``.
        """
        shapes = {}
        for cell in CELL_TYPES:
            shapes[f'alpha_{cell}'] = (self.num_edges, len(self.primitives))
        if self.edge_normalisation:
            for cell in CELL_TYPES:
                shapes[f'beta_{cell}'] = (self.num_edges, )
        return shapes

    def set_arch_weights_provider(
            self, provider: Optional[Callable[[], Mapping]]) -> None:
        """Use ``provider()`` when ``forward`` gets no arch weights.

        Args:
            provider (Callable[[], Mapping], optional): A function that
                returns the arch weights dict (see the module docstring);
                None removes the provider.

        Raises:
            TypeError: If ``provider`` is neither None nor callable.
        """
        if provider is not None and not callable(provider):
            raise TypeError(f'provider must be callable, got '
                            f'{type(provider).__name__}')
        self._arch_weights_provider = provider

    def _check_arch_weights(self, weights: Mapping) -> None:
        ops_shape = (self.num_edges, len(self.primitives))
        for cell in CELL_TYPES:
            ops = weights.get(f'ops_{cell}')
            if ops is None or tuple(ops.shape) != ops_shape:
                got = None if ops is None else tuple(ops.shape)
                raise ValueError(f'arch weights need ops_{cell} of shape '
                                 f'{ops_shape}, got {got}')
            edges = weights.get(f'edges_{cell}')
            if self.edge_normalisation:
                if edges is None or tuple(edges.shape) != (self.num_edges, ):
                    got = None if edges is None else tuple(edges.shape)
                    raise ValueError(
                        f'this network uses edge normalisation: arch weights '
                        f'need edges_{cell} of shape ({self.num_edges},), '
                        f'got {got}')
            elif edges is not None:
                raise ValueError(f'this network has no edge normalisation; '
                                 f'arch weights must not hold edges_{cell}')

    # --------------------------------------------------------------- forward
    def forward(self,
                x: torch.Tensor,
                arch_weights: Optional[Mapping[str, torch.Tensor]] = None):
        """Run the network with the given or the provided arch weights.

        Args:
            x (torch.Tensor): The input images, ``(N, 3, H, W)``.
            arch_weights (Mapping[str, torch.Tensor], optional): The arch
                weights ``ops_{normal,reduce}`` and, with edge
                normalisation, ``edges_{normal,reduce}`` (see the module
                docstring). Defaults to None (those of the provider set by
                :meth:`set_arch_weights_provider`).

        Returns:
            torch.Tensor | tuple[torch.Tensor]: The logits
            ``(N, num_classes)``, or with ``num_classes=None`` a 1-tuple
            with the last cell's feature map.

        Raises:
            RuntimeError: If no arch weights are passed and no provider is
                set.
            ValueError: If the arch weights miss a key, have a wrong shape
                or hold ``edges_*`` without edge normalisation.
        """
        if arch_weights is None:
            if self._arch_weights_provider is None:
                raise RuntimeError(
                    'no arch weights: pass forward(x, arch_weights) or call '
                    'set_arch_weights_provider(fn) first')
            arch_weights = self._arch_weights_provider()
        self._check_arch_weights(arch_weights)

        if self.stem_type == 'cifar':
            s0 = s1 = self.stem(x)
        else:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        for cell in self.cells:
            cell_type = 'reduce' if cell.reduction else 'normal'
            s0, s1 = s1, cell(s0, s1, arch_weights[f'ops_{cell_type}'],
                              arch_weights.get(f'edges_{cell_type}'))
        if self.num_classes is None:
            return (s1, )
        return self.classifier(self.global_pool(s1).flatten(1))
