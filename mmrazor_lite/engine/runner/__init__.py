"""The loops a ``train_cfg`` names: SPOS searches and the DARTS search."""
from .base_search_loop import BaseSearchLoop, Costs
from .darts_train_loop import DartsTrainLoop
from .evolution_search_loop import EvolutionSearchLoop, SearchConstraintError
from .pareto_search_loop import ParetoSearchLoop

__all__ = [
    'BaseSearchLoop', 'Costs', 'DartsTrainLoop', 'EvolutionSearchLoop',
    'ParetoSearchLoop', 'SearchConstraintError'
]
