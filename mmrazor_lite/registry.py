"""The registries of mmrazor_lite, children of mmpretrain's (scope ``mmrazor_lite``).

Because every registry here has mmpretrain's as its parent, a config whose
default scope is ``mmrazor_lite`` builds our types and still reaches
mmpretrain's (``ImageClassifier``, ``LinearClsHead``, ``ImageNet``...) and,
through mmpretrain, mmengine's.
"""
from mmengine.registry import DefaultScope
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'TASK_UTILS', 'METRICS',
    'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS', 'BATCH_AUGMENTS',
    'register_all_modules'
]

SCOPE = 'mmrazor_lite'


def _child(parent, location):
    # Building any of our types imports the whole package, which registers
    # everything: ``default_scope='mmrazor_lite'`` alone is enough.
    return Registry(parent.name, parent=parent, scope=SCOPE,
                    locations=['mmrazor_lite'])


RUNNERS = _child(mmpretrain_registry.RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child(mmpretrain_registry.RUNNER_CONSTRUCTORS, 'engine')
LOOPS = _child(mmpretrain_registry.LOOPS, 'engine')
HOOKS = _child(mmpretrain_registry.HOOKS, 'engine')
LOG_PROCESSORS = _child(mmpretrain_registry.LOG_PROCESSORS, 'engine')
OPTIMIZERS = _child(mmpretrain_registry.OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child(mmpretrain_registry.OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS, 'engine')
PARAM_SCHEDULERS = _child(mmpretrain_registry.PARAM_SCHEDULERS, 'engine')
DATASETS = _child(mmpretrain_registry.DATASETS, 'datasets')
DATA_SAMPLERS = _child(mmpretrain_registry.DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child(mmpretrain_registry.TRANSFORMS, 'datasets')
MODELS = _child(mmpretrain_registry.MODELS, 'models')
MODEL_WRAPPERS = _child(mmpretrain_registry.MODEL_WRAPPERS, 'engine')
WEIGHT_INITIALIZERS = _child(mmpretrain_registry.WEIGHT_INITIALIZERS, 'models')
TASK_UTILS = _child(mmpretrain_registry.TASK_UTILS, 'models')
METRICS = _child(mmpretrain_registry.METRICS, 'evaluation')
EVALUATORS = _child(mmpretrain_registry.EVALUATORS, 'evaluation')
VISUALIZERS = _child(mmpretrain_registry.VISUALIZERS, 'engine')
VISBACKENDS = _child(mmpretrain_registry.VISBACKENDS, 'engine')
# augmentations of a whole batch, run by mmpretrain's data preprocessor
# after normalisation (e.g. Cutout as the DARTS evaluation applies it)
BATCH_AUGMENTS = _child(mmpretrain_registry.BATCH_AUGMENTS, 'models')


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers something, mmpretrain's included.

    Args:
        init_default_scope (bool): make ``mmrazor_lite`` the default scope
            (a new scope instance is created if another one is current).
    """
    import mmrazor_lite  # noqa: F401  (imports mmpretrain's and our parts)

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance(SCOPE, scope_name=SCOPE)
    elif current.scope_name != SCOPE:
        # A fresh, uniquely named instance keeps the other scope intact.
        import datetime
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S.%f')
        DefaultScope.get_instance(f'{SCOPE}-{stamp}', scope_name=SCOPE)


def build_model(cfg: dict):
    """Build a model config in our scope, whatever the caller's scope is.

    A downstream config may run under ``default_scope='mmpretrain'`` and name
    ``type='mmrazor_lite.SPOS'``; the modules SPOS then builds itself (the
    mutator, the candidates of a choice) must still resolve in our scope,
    which reaches mmpretrain's and mmengine's types too.
    """
    cfg = dict(cfg)
    cfg.setdefault('_scope_', SCOPE)
    return MODELS.build(cfg)
