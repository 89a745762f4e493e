"""mydown's registries: children of mmengine's root, scope ``mydown``."""
from mmengine import registry as root

_KINDS = ('MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'LOOPS', 'METRICS',
          'OPTIM_WRAPPERS', 'OPTIMIZERS', 'PARAM_SCHEDULERS', 'VISUALIZERS',
          'VISBACKENDS', 'LOG_PROCESSORS', 'DATA_SAMPLERS', 'EVALUATOR',
          'OPTIM_WRAPPER_CONSTRUCTORS', 'WEIGHT_INITIALIZERS')


def _child(kind):
    parent = getattr(root, kind)
    return root.Registry(
        parent.name, parent=parent, scope='mydown', locations=['mydown'])


(MODELS, DATASETS, TRANSFORMS, HOOKS, LOOPS, METRICS, OPTIM_WRAPPERS,
 OPTIMIZERS, PARAM_SCHEDULERS, VISUALIZERS, VISBACKENDS, LOG_PROCESSORS,
 DATA_SAMPLERS, EVALUATOR, OPTIM_WRAPPER_CONSTRUCTORS, WEIGHT_INITIALIZERS) = (
     _child(kind) for kind in _KINDS)
