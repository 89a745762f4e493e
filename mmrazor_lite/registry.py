"""The registries of mmrazor_lite (scope ``mmrazor_lite``).

Like every OpenMMLab repo's, each registry here is a direct child of
mmengine's root registry of its kind, so ``mmrazor_lite.SPOS`` resolves from
any other repo's scope (mmengine looks a scoped name up among the root's
children only).

A bare name that is not ours is looked up in mmpretrain's registry of the
same kind before mmengine's, so configs under ``default_scope =
'mmrazor_lite'`` keep naming ``ImageClassifier``, ``LinearClsHead``,
``ImageNet``, ``Accuracy``, ``PackInputs``... without a scope, and our own
registrations (e.g. our ``CheckpointHook``) still shadow both.
"""
from typing import Optional, Type

from mmengine import registry as mmengine_registry
from mmengine.registry import DefaultScope, Registry
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


class FallbackRegistry(Registry):
    """A registry that asks ``fallback`` for bare names it does not hold.

    Order for a bare name: this registry, ``fallback`` (mmpretrain's of the
    same kind), then the ancestors (mmengine's root). Scoped names
    (``mmpretrain.X``, ``mydown.X``) are resolved by mmengine as usual.
    """

    def __init__(self, name: str, parent: Registry, fallback: Registry):
        # Building any of our types imports the whole package, which
        # registers everything: ``default_scope='mmrazor_lite'`` is enough.
        super().__init__(
            name, parent=parent, scope=SCOPE, locations=['mmrazor_lite'])
        self.fallback = fallback

    def get(self, key: str) -> Optional[Type]:
        scope, real_key = self.split_scope_key(key)
        if scope is None:
            self.import_from_location()
            if real_key not in self.module_dict:
                self.fallback.import_from_location()
                if real_key in self.fallback.module_dict:
                    return self.fallback.get(real_key)
        return super().get(key)


def _child(kind: str, root_kind: Optional[str] = None) -> FallbackRegistry:
    """Our ``kind``: child of mmengine's root, falling back to mmpretrain's."""
    root = getattr(mmengine_registry, root_kind or kind)
    fallback = getattr(mmpretrain_registry, kind)
    return FallbackRegistry(fallback.name, parent=root, fallback=fallback)


RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
HOOKS = _child('HOOKS')
LOG_PROCESSORS = _child('LOG_PROCESSORS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
DATASETS = _child('DATASETS')
DATA_SAMPLERS = _child('DATA_SAMPLERS')
TRANSFORMS = _child('TRANSFORMS')
MODELS = _child('MODELS')
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
TASK_UTILS = _child('TASK_UTILS')
METRICS = _child('METRICS')
EVALUATORS = _child('EVALUATORS', root_kind='EVALUATOR')
VISUALIZERS = _child('VISUALIZERS')
VISBACKENDS = _child('VISBACKENDS')
# Augmentations of a whole batch, run by mmpretrain's data preprocessor
# after normalisation (e.g. Cutout as the DARTS evaluation applies it).
# mmengine has no such registry: mmpretrain's is the root of this kind, so
# ours is its child and ``mmrazor_lite.BatchCutout`` resolves from any scope.
BATCH_AUGMENTS = Registry(
    mmpretrain_registry.BATCH_AUGMENTS.name,
    parent=mmpretrain_registry.BATCH_AUGMENTS,
    scope=SCOPE,
    locations=['mmrazor_lite'])


def register_all_modules(init_default_scope: bool = True) -> None:
    """Make every module that registers something importable by name.

    Importing this module has imported the package ``mmrazor_lite``, which
    registers all of our types and mmpretrain's; what is left is the scope.

    Args:
        init_default_scope (bool): make ``mmrazor_lite`` the default scope
            (a new scope instance is created if another one is current).
    """
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
