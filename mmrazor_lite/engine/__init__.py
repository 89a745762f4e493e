"""Runtime pieces: checkpoint I/O, distributed set-up, loops and hooks."""
from . import checkpoint_io
from .distributed import NASDistributedDataParallel, init_distributed
from .evolution_search_loop import EvolutionSearchLoop  # noqa: F401
from .subnet_meta_hook import SubnetMetaHook  # noqa: F401

__all__ = ['checkpoint_io', 'NASDistributedDataParallel', 'init_distributed']
