"""What the command-line tools do, as functions other code can call.

``tools/train.py`` and ``tools/test.py`` only parse arguments and call
these, so tests, the demo, benchmarks and downstream scripts build configs
and runners exactly as the tools do, without importing the tools.
"""
from .config_builder import build_config, enable_amp, load_config
from .runner_builder import build_runner, shutdown_distributed
from .trained_checkpoint import (load_checkpoint_strictly,
                                 use_checkpoint_architecture)

__all__ = [
    'build_config', 'enable_amp', 'load_config', 'build_runner',
    'shutdown_distributed', 'load_checkpoint_strictly',
    'use_checkpoint_architecture'
]
