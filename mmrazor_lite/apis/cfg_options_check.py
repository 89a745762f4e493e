"""Refuse ``--cfg-options`` keys that nothing would read.

mmengine merges any key into the config, so ``--cfg-options max_iters=3``
(meant: ``train_cfg.max_iters``) adds a top-level entry no one reads, and
the run goes on with the config's own schedule and exit 0.
"""
import difflib
import inspect
import logging
from typing import Iterable, List, Mapping

from mmengine.config import Config
from mmengine.logging import print_log

#: top-level keys the Runner reads besides its own arguments
_RUNNER_EXTRA_KEYS = {
    'model_wrapper_cfg', 'compile', 'find_unused_parameters', 'runner_type',
    'strategy'
}


def runner_keys() -> set:
    """Top-level config keys mmengine's Runner reads."""
    from mmengine.runner import Runner
    params = inspect.signature(Runner.__init__).parameters
    return (set(params) - {'self'}) | _RUNNER_EXTRA_KEYS


def _dotted_keys(node, prefix: str = '') -> Iterable[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f'{prefix}{key}'
            yield path
            yield from _dotted_keys(value, path + '.')


def close_matches(cfg: Config, key: str) -> List[str]:
    """Config keys a mistyped ``key`` probably meant."""
    every = list(_dotted_keys(cfg._cfg_dict.to_dict()))
    leaf = key.split('.')[-1]
    same_leaf = [k for k in every if k.split('.')[-1] == leaf]
    return same_leaf[:6] or difflib.get_close_matches(key, every, n=5)


def _refuse_length_variable(cfg: Config, cfg_options: Mapping, key: str,
                            config: str) -> bool:
    """Refuse the file's ``max_iters`` / ``max_epochs`` variable alone.

    Args:
        cfg (Config): The config, before ``cfg_options`` are merged.
        cfg_options (Mapping): The ``--cfg-options`` given.
        key (str): A top-level key of ``cfg_options``, a plain value.
        config (str): The config file, named in the error.

    Returns:
        bool: True when ``key`` is that variable and ``train_cfg.<key>`` is
        given too (the variable then follows, nothing to warn about).

    Raises:
        KeyError: ``key`` is the variable that ``train_cfg.<key>`` was
            set from and ``train_cfg.<key>`` is not given too: the one way
            to change a run's length is ``train_cfg.<key>``.
    """
    train_cfg = cfg.get('train_cfg')
    if key not in ('max_iters', 'max_epochs') or \
            not isinstance(train_cfg, Mapping) or \
            train_cfg.get(key) != cfg[key]:
        return False
    if f'train_cfg.{key}' in cfg_options:
        return True
    raise KeyError(
        f'--cfg-options {key}={cfg_options[key]}: {key} is a variable of '
        f'{config} that train_cfg.{key}, the schedulers and the intervals '
        f'were computed from when the file was read, so it would change '
        f'nothing else. Set train_cfg.{key}={cfg_options[key]} instead: it '
        f'moves every key tied to the run\'s length (docs/spos.md, '
        f'"Changing a run\'s length")')


def check_cfg_options(cfg: Config, cfg_options: Mapping, config: str) -> None:
    """Check ``cfg_options`` against ``cfg`` before they are merged.

    Raises:
        KeyError: a key whose top level is neither in ``config`` nor read by
            the Runner; the message lists the keys it probably meant. Also
            the file's ``max_iters`` / ``max_epochs`` variable given without
            ``train_cfg.max_iters`` / ``max_epochs``, the one way to change
            a run's length.
    Warns about a top-level plain value (``max_epochs = 300`` used by the
    file's own expressions): the file was evaluated already, so overriding
    it changes nothing but itself.
    """
    known = runner_keys()
    for key in cfg_options:
        top = key.split('.')[0]
        if top not in cfg:
            if top in known:
                continue
            hint = close_matches(cfg, key)
            hint = f'; did you mean {" or ".join(hint)}?' if hint else ''
            raise KeyError(
                f'--cfg-options {key}: {config} has no top-level key {top!r} '
                f'and the Runner does not read one, so it would be ignored'
                f'{hint}')
        if '.' not in key and top not in known and \
                not isinstance(cfg[top], (dict, list)):
            if _refuse_length_variable(cfg, cfg_options, key, config):
                continue
            hint = [k for k in close_matches(cfg, key) if k != key]
            hint = f' Set {" / ".join(hint)} instead.' if hint else ''
            print_log(
                f'--cfg-options {key}: {top} is a variable of {config} that '
                f'its other entries were computed from when the file was '
                f'read; overriding it changes only itself.{hint}',
                logger='current',
                level=logging.WARNING)
