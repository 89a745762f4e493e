"""Plain building blocks with no search logic."""
from .mobilenet_blocks import Identity, MBBlock
from .shufflenet_blocks import ShuffleBlock, ShuffleXception, channel_shuffle
from .darts_ops import DARTS_PRIMITIVES, FactorizedReduce, ReLUConvBN, SepConv, DilConv, PoolBN, Zero, build_darts_op  # noqa: F401,E501

__all__ = [
    'ShuffleBlock', 'ShuffleXception', 'channel_shuffle', 'MBBlock', 'Identity'
]
