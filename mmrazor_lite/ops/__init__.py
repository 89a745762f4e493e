"""Plain building blocks with no search logic."""
from .channel_ops import channel_shuffle
from .darts_ops import (DARTS_PRIMITIVES, DilConv, FactorizedReduce, PoolBN,
                        ReLUConvBN, SepConv, Zero, build_darts_op)
from .mobilenet_blocks import Identity, MBBlock
from .shufflenet_blocks import ShuffleBlock, ShuffleXception

__all__ = [
    'ShuffleBlock', 'ShuffleXception', 'channel_shuffle', 'MBBlock',
    'Identity', 'DARTS_PRIMITIVES', 'DilConv', 'FactorizedReduce', 'PoolBN',
    'ReLUConvBN', 'SepConv', 'Zero', 'build_darts_op'
]
