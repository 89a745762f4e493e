"""The search loops' data loaders follow the config's own unless set.

A search reads data its config already describes: the evolution search
scores paths on the validation split and re-estimates BN on training
images; the DARTS loop trains the architecture on the split the weights do
not see. So a config writes its data once (``train_dataloader``,
``val_dataloader``) and the loops take it (table ``FOLLOWS``):

- a loop key that is absent or None gets a copy of the loader it follows;
- a dict whose ``dataset`` names no ``type`` (``dict(batch_size=2048)``,
  ``dict(sampler=dict(shuffle=True))``) is merged over that copy;
- a dict whose ``dataset`` names a ``type`` is the loop's own, as it is.

A config without validation (``val_cfg`` None) whose ``val_dataloader``
served a loop has it (and ``val_evaluator``) removed afterwards: mmengine's
Runner wants all three of them or none.
"""
import copy
from typing import Mapping, Optional

from mmengine.config import Config

from mmrazor_lite.registry import LOOPS

#: loop class name -> {its loader key: the config's loader it follows}
FOLLOWS = {
    'EvolutionSearchLoop': {
        'dataloader': 'val_dataloader',
        'calibrate_dataloader': 'train_dataloader'
    },
    'DartsTrainLoop': {
        'arch_dataloader': 'val_dataloader'
    },
}


def _loop_follows(loop_type) -> dict:
    """``FOLLOWS`` of ``loop_type`` or of the loop it derives from."""
    if not isinstance(loop_type, str):
        return {}
    loop_cls = LOOPS.get(loop_type)
    for klass in getattr(loop_cls, '__mro__', ()):
        if klass.__name__ in FOLLOWS and \
                klass.__module__.startswith('mmrazor_lite.'):
            return FOLLOWS[klass.__name__]
    return {}


def _merged(base: dict, override: Mapping) -> dict:
    """``override`` merged into a copy of ``base``, as ``_base_`` merges."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) \
                and not value.get('_delete_', False):
            out[key] = _merged(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = {k: v for k, v in value.items() if k != '_delete_'}
        else:
            out[key] = copy.deepcopy(value)
    return out


def is_set(loader) -> bool:
    """Whether a loop's loader is its own (names a dataset type)."""
    return isinstance(loader, Mapping) and isinstance(
        loader.get('dataset'), Mapping) and 'type' in loader['dataset']


def follow_config_dataloaders(cfg: Config,
                              config: Optional[str] = None) -> dict:
    """Fill ``cfg.train_cfg``'s unset loaders from the config's loaders.

    Returns ``loop key -> the config key it followed``. Raises ValueError
    when a loader is unset and the config has no loader to follow.
    """
    train_cfg = cfg.get('train_cfg') or {}
    followed = {}
    for key, source in _loop_follows(train_cfg.get('type')).items():
        loader = train_cfg.get(key)
        if loader is False or is_set(loader):
            continue  # False: switched off (calibrate_dataloader)
        if not isinstance(cfg.get(source), Mapping):
            raise ValueError(
                f'{config or "the config"}: train_cfg.{key} names no dataset '
                f'and there is no {source} for it to follow; set {source} '
                f'(the {train_cfg.get("type")} reads its data from it) or a '
                f'complete train_cfg.{key} with a dataset type')
        train_cfg[key] = _merged(cfg[source], loader or {})
        followed[key] = source
    if 'val_dataloader' in followed.values() and cfg.get('val_cfg') is None:
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    return followed
