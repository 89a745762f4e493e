"""mmrazor_lite: a lean OpenMMLab-style NAS toolbox (SPOS, PC-DARTS / DARTS).

Importing the package registers every op, mutable, search space, mutator,
algorithm, loop, hook and dataset in the ``mmrazor_lite`` registries, makes
mmengine read checkpoints with ``weights_only=True`` (allow-listing what
mmengine stores) and write local files atomically.
"""
import warnings

from .version import __version__

# mmcv-lite has no compiled ops: mmpretrain's import of mmcv's transformer
# bricks warns that this one op is missing, on every command; we never use
# it (full mmcv, when installed, does not warn)
warnings.filterwarnings(
    'ignore',
    category=UserWarning,
    module=r'mmcv\.cnn\.bricks\.transformer',
    message=r'Fail to import ``MultiScaleDeformableAttention`` from '
    r'``mmcv\.ops\.multi_scale_deform_attn``')

# mmengine 0.10 imports pkg_resources for `mmpretrain::` _base_ configs;
# setuptools < 81 (pinned for that reason) warns on that import each time
warnings.filterwarnings(
    'ignore',
    category=UserWarning,
    message=r'pkg_resources is deprecated as an API')

# The order below matters, so isort keeps out of it: mmpretrain's types are
# registered, then mmengine's checkpoint reading and local writes are made
# safe, then our modules register theirs.
# isort: off
# Our registries fall back to mmpretrain's for bare names; registering all
# of mmpretrain here also serves code that reaches its registries directly.
import mmpretrain.utils as _mmpretrain_utils  # noqa: E402

_mmpretrain_utils.register_all_modules(init_default_scope=False)

from .fileio import checkpoint_io as _checkpoint_io  # noqa: E402

_checkpoint_io.install()

from . import algorithms, datasets, engine  # noqa: E402,F401
from . import estimators, fileio, mutables  # noqa: E402,F401
from . import mutators, ops, spaces  # noqa: E402,F401
from . import structures, subnet  # noqa: E402,F401
from .registry import register_all_modules  # noqa: E402
# isort: on

__all__ = ['__version__', 'register_all_modules']
