"""What can be chosen."""
from .one_shot_choice import OneShotChoice
from .partial_channel_mixed_op import PartialChannelMixedOp  # noqa: F401
from .edge_normalised_node import EdgeNormalisedNode, edge_softmax, node_edge_slices  # noqa: F401,E501

__all__ = ['OneShotChoice']
