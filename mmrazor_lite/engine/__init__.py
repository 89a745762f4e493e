"""Runtime pieces: distributed set-up, loops and hooks."""
from .distributed import NASDistributedDataParallel, init_distributed
from .evolution_search_loop import EvolutionSearchLoop  # noqa: F401
from .pareto_search_loop import ParetoSearchLoop  # noqa: F401
from .subnet_meta_hook import SubnetMetaHook  # noqa: F401
from .resume_config_check_hook import ResumeConfigCheckHook  # noqa: F401
from .class_count_check_hook import ClassCountCheckHook  # noqa: F401
from .summarising_optim_constructor import SummarisingOptimWrapperConstructor  # noqa: F401,E501
from .separate_optim_constructor import SeparateOptimWrapperConstructor  # noqa: F401,E501
from .darts_train_loop import DartsTrainLoop  # noqa: F401
from .drop_path_schedule_hook import DropPathScheduleHook  # noqa: F401
from .safe_checkpoint_hook import KillSafeCheckpointHook  # noqa: F401

__all__ = ['NASDistributedDataParallel', 'init_distributed']
