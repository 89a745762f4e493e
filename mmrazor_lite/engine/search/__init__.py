"""The kit a search loop is built from: what a new loop reuses.

Everything here is plain machinery with no registration: candidates and
the evolution operators that breed them, NSGA-II selection, the scorer of a
path (BN re-estimation, cached batches, on-device accuracy), the optional
score predictor and its encoding, the resumable state file, the settings
record a resume is checked against, progress lines, the records written
while a search runs, and the picture of the scored candidates. The loops
that a ``train_cfg`` names (:mod:`mmrazor_lite.engine.runner`) are built
from it; nothing here imports them or the hooks.

Modules whose functions are used by name (``evolution_operators``,
``nsga2_selection``, ``state``, ``settings``) are importable as they are:
``from mmrazor_lite.engine.search import nsga2_selection as nsga``.
"""
from . import evolution_operators, nsga2_selection, settings, state
from .bn_recalibration import calibration_batches, recalibrate_bn
from .candidate_scorer import CandidateScorer
from .device_accuracy import DeviceAccuracy, device_accuracy_for
from .evolution_operators import Candidate, SeenCandidates
from .pareto_plot import PARETO_FILE, draw_search_pareto, pareto_front
from .progress import SearchProgress
from .rank_agreement import on_every_rank
from .records import SearchRecords
from .score_predictor import ScorePredictor
from .settings import check_resume, file_sha256, search_settings
from .state import (claim_work_dir, latest_search_state, load_search_state,
                    save_state)
from .subnet_encoding import SubnetEncoding
from .supernet_checkpoint import check_supernet_checkpoint

__all__ = [
    'evolution_operators', 'nsga2_selection', 'settings', 'state',
    'calibration_batches', 'recalibrate_bn', 'CandidateScorer',
    'DeviceAccuracy', 'device_accuracy_for', 'Candidate', 'SeenCandidates',
    'PARETO_FILE', 'draw_search_pareto', 'pareto_front', 'SearchProgress',
    'on_every_rank', 'SearchRecords', 'ScorePredictor', 'check_resume',
    'file_sha256', 'search_settings', 'claim_work_dir', 'latest_search_state',
    'load_search_state', 'save_state', 'SubnetEncoding',
    'check_supernet_checkpoint'
]
