"""What can be chosen."""
from .darts_arch_weights import CELL_TYPES, darts_arch_weights
from .edge_normalised_node import (EdgeNormalisedNode, edge_softmax,
                                   node_edge_slices)
from .one_shot_choice import OneShotChoice
from .partial_channel_mixed_op import PartialChannelMixedOp

__all__ = [
    'OneShotChoice', 'PartialChannelMixedOp', 'EdgeNormalisedNode',
    'edge_softmax', 'node_edge_slices', 'CELL_TYPES', 'darts_arch_weights'
]
