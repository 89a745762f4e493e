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
    'ignore', category=UserWarning, module=r'mmcv\.cnn\.bricks\.transformer',
    message=r'Fail to import ``MultiScaleDeformableAttention`` from '
    r'``mmcv\.ops\.multi_scale_deform_attn``')

# mmengine 0.10 imports pkg_resources for `mmpretrain::` _base_ configs;
# setuptools < 81 (pinned for that reason) warns on that import each time
warnings.filterwarnings(
    'ignore', category=UserWarning,
    message=r'pkg_resources is deprecated as an API')

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
