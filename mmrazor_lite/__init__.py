"""mmrazor_lite: a lean OpenMMLab-style NAS toolbox (SPOS, PC-DARTS / DARTS).

Importing the package registers every op, mutable, search space, mutator,
algorithm, loop, hook and dataset in the ``mmrazor_lite`` registries, makes
mmengine read checkpoints with ``weights_only=True`` (allow-listing what
mmengine stores) and write local files atomically.
"""
from .version import __version__

# Our registries fall back to mmpretrain's for bare names; registering all
# of mmpretrain here also serves code that reaches its registries directly.
from mmpretrain.utils import register_all_modules as _register_mmpretrain

_register_mmpretrain(init_default_scope=False)

from .fileio import checkpoint_io as _checkpoint_io

_checkpoint_io.install()

from . import ops, mutables, spaces, mutators, algorithms  # noqa: E402,F401
from . import fileio, engine, estimators, subnet, datasets  # noqa: E402,F401
from .registry import register_all_modules  # noqa: E402

__all__ = ['__version__', 'register_all_modules']
