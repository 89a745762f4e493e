"""Search spaces built from ops and mutables."""
from .darts_eval_head import DartsEvalHead
from .darts_eval_network import DartsEvalCell, DartsEvalNetwork
from .darts_search_network import DartsSearchCell, DartsSearchNetwork
from .searchable_mobilenet_proxyless import SearchableMobileNetProxyless
from .searchable_shufflenet_v2 import SearchableShuffleNetV2

__all__ = [
    'SearchableShuffleNetV2', 'SearchableMobileNetProxyless',
    'DartsSearchCell', 'DartsSearchNetwork', 'DartsEvalCell',
    'DartsEvalNetwork', 'DartsEvalHead'
]
