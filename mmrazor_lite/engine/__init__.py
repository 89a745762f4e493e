"""Runtime pieces, by kind: loops (``runner/``), the kit they are built from
(``search/``), hooks (``hooks/``), optimizer wrapper constructors
(``optimizers/``), and the shared distributed set-up and config diff."""
from .distributed import NASDistributedDataParallel, init_distributed
from .hooks import (ClassCountCheckHook, DeferredLogHook, DropPathScheduleHook,
                    KillSafeCheckpointHook, ResumeConfigCheckHook,
                    RunLengthCheckHook, SubnetMetaHook, WorkDirClaimHook)
from .optimizers import (SeparateOptimWrapperConstructor,
                         SummarisingOptimWrapperConstructor)
from .runner import (BaseSearchLoop, DartsTrainLoop, EvolutionSearchLoop,
                     ParetoSearchLoop)

__all__ = [
    'NASDistributedDataParallel', 'init_distributed', 'ClassCountCheckHook',
    'DropPathScheduleHook', 'KillSafeCheckpointHook', 'ResumeConfigCheckHook',
    'RunLengthCheckHook', 'SubnetMetaHook', 'SeparateOptimWrapperConstructor',
    'SummarisingOptimWrapperConstructor', 'BaseSearchLoop', 'DartsTrainLoop',
    'EvolutionSearchLoop', 'ParetoSearchLoop', 'DeferredLogHook',
    'WorkDirClaimHook'
]
