"""The search loops' data loaders follow the config's own.

A search reads data its config already describes: the evolution search
scores paths on the validation split and re-estimates BN on training
images; the DARTS loop trains the architecture on the split the weights do
not see. So a config writes its data once (``train_dataloader``,
``val_dataloader``) and the loops take it (table ``FOLLOWS``). A loop's
loader is always merged over a copy of the loader it follows, as
``_base_`` merging does, so it keeps that loader's batch size, sampler and
workers unless it sets them:

- a loop key that is absent or None gets a copy of the loader it follows;
- a dict is merged over that copy key by key; ``_delete_=True`` at any
  level replaces what it stands in instead (and is never passed on);
- a dict (the ``dataset``, the ``sampler``) that names another ``type``
  than the followed one replaces it (its keys belong to another class);
  one of the same type, or of none, is merged over it.

A config without validation (``val_cfg`` None) keeps no ``val_dataloader``
nor ``val_evaluator``: mmengine's Runner wants all three of them or none.
A loader that still lacks a dataset type or a batch size is an error that
names the key.
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


def _merged(base: Mapping, override: Mapping) -> dict:
    """``override`` merged into a copy of ``base``, as ``_base_`` merges.

    Args:
        base (Mapping): The loader config followed.
        override (Mapping): The loop's own keys; ``_delete_=True`` in a
            dict makes it replace the ``base`` dict it stands for.

    Returns:
        dict: The merged loader, without any ``_delete_`` key.
    """
    if override.get('_delete_', False):
        return _without_delete(override)
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if key == '_delete_':
            continue
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) \
                and not _replaces(key, out[key], value):
            out[key] = _merged(out[key], value)
        else:
            out[key] = _without_delete(value)
    return out


def _replaces(key: str, base: Mapping, value: Mapping) -> bool:
    """Whether ``value`` replaces ``base`` instead of being merged: a
    dataset (or any typed dict) of another type than the one followed."""
    return 'type' in value and value['type'] != base.get('type') and \
        'type' in base


def _without_delete(value):
    """``value`` with every ``_delete_`` key taken out, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: _without_delete(v)
            for k, v in value.items() if k != '_delete_'
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_without_delete(v) for v in value)
    return copy.deepcopy(value)


def _check_complete(loader: Mapping, where: str, source: str) -> None:
    """Refuse a loader that names no dataset type or no batch size.

    Args:
        loader (Mapping): The loop's loader, with nothing to follow.
        where (str): Its key, e.g. ``'train_cfg.dataloader'``.
        source (str): The config loader it would follow, which is unset.

    Raises:
        ValueError: Naming each missing key.
    """
    missing = []
    if not isinstance(loader.get('dataset'), Mapping) or \
            'type' not in loader['dataset']:
        missing.append(f'{where}.dataset.type')
    if loader.get('batch_size') is None:
        missing.append(f'{where}.batch_size')
    if missing:
        raise ValueError(
            f'{where} is incomplete: {", ".join(missing)} not set, and '
            f'{source} is None, so there is no loader for it to follow. '
            f'Set them, or keep {source} in the config (a config without '
            f'validation drops it once the loop has followed it)')


def follow_config_dataloaders(cfg: Config,
                              config: Optional[str] = None) -> dict:
    """Merge ``cfg.train_cfg``'s loaders over the config's loaders.

    Args:
        cfg (Config): The run's config, changed in place.
        config (str, optional): Its file, named in errors. Defaults to
            None.

    Returns:
        dict: Loop key -> the config key it followed.

    Raises:
        ValueError: A loop loader has no config loader to follow and is
            not complete on its own (no dataset type or batch size).
    """
    train_cfg = cfg.get('train_cfg') or {}
    followed = {}
    for key, source in _loop_follows(train_cfg.get('type')).items():
        loader = train_cfg.get(key)
        if loader is False:
            continue  # switched off (calibrate_dataloader=False)
        if loader is not None and not isinstance(loader, Mapping):
            continue  # a built DataLoader, from Python code
        where = f'train_cfg.{key}'
        if not isinstance(cfg.get(source), Mapping):
            if loader is None:
                raise ValueError(
                    f'{config or "the config"}: {where} is not set and '
                    f'there is no {source} for it to follow; set {source} '
                    f'(the {train_cfg.get("type")} reads its data from it) '
                    f'or a complete {where} with a dataset type and a '
                    f'batch size')
            train_cfg[key] = _without_delete(loader)
            _check_complete(train_cfg[key],
                            f'{config or "the config"}: {where}', source)
            continue
        train_cfg[key] = _merged(cfg[source], loader or {})
        followed[key] = source
    if cfg.get('val_cfg') is None and (cfg.get('val_dataloader') is not None or
                                       cfg.get('val_evaluator') is not None):
        # without validation mmengine accepts no val loader or evaluator
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    return followed
