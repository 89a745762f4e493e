"""One way to change a run's length: ``train_cfg.max_iters`` / ``max_epochs``.

mmengine evaluates a config file once, so a config whose schedule ends at
its ``max_iters`` variable keeps that end when ``--cfg-options
train_cfg.max_iters=N`` changes only the loop: the run stops at N with the
learning rate still high, and the checkpoint and validation intervals stay
at the old length. Here the run's length is one setting. When
``--cfg-options`` changes ``train_cfg.max_iters`` (iteration-based loop) or
``train_cfg.max_epochs`` (epoch-based loop) from the config's length L to N,
:func:`follow_run_length` moves every key tied to it, in the loop's unit:

- ``param_scheduler`` (a list, one scheduler, or DARTS's dict of lists):
  of every scheduler counted in the loop's unit (``by_epoch=False`` for
  iterations, ``by_epoch=True``, the default, for epochs), a ``begin`` or
  ``end`` that equals L becomes N; a ``T_max`` that spans the scheduler's
  old ``end - begin`` spans the new one, and otherwise a ``T_max`` equal
  to L becomes N. A scheduler that would begin at or after N keeps its
  keys (the start check names it);
- ``train_cfg.val_interval`` and ``default_hooks.checkpoint.interval``
  (a checkpoint hook counting in the loop's unit; ``-1`` stays): a value
  equal to L, or larger than N, becomes N;
- the config file's own ``max_iters`` / ``max_epochs`` variable, when it
  equals L, becomes N (the dumped config stays consistent).

A key the same ``--cfg-options`` also sets (or a key above it, such as
``param_scheduler`` as a whole) is kept as given. Every move is logged.
:func:`run_length_disagreements` then lists each key tied to the length
that still disagrees with it, and :func:`warn_run_length_disagreements`
logs them in one warning at the start of a run (``build_config``). See
docs/spos.md, "Changing a run's length".
"""
import logging
import math
from collections import defaultdict
from typing import Iterator, List, Mapping, NamedTuple, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from mmrazor_lite.registry import LOOPS

#: the loop keys that set a run's length, by unit
LENGTH_KEYS = {'max_iters': 'iterations', 'max_epochs': 'epochs'}
#: the docs section that explains it all
DOCS = 'docs/spos.md, "Changing a run\'s length"'


class RunLength(NamedTuple):
    """A training run's length.

    Attributes:
        key (str): ``'max_iters'`` or ``'max_epochs'``, the ``train_cfg``
            key that holds it.
        value (int): The length, in the loop's unit.
    """
    key: str
    value: int

    @property
    def unit(self) -> str:
        """``'iterations'`` or ``'epochs'``."""
        return LENGTH_KEYS[self.key]

    @property
    def by_epoch(self) -> bool:
        """Whether the loop counts epochs."""
        return self.key == 'max_epochs'


def training_length(cfg: Config) -> Optional[RunLength]:
    """The length of ``cfg``'s training loop, or None when it has none.

    A search loop (one that keeps its own state, ``resumes_own_state``)
    counts generations, not training steps: None.

    Args:
        cfg (Config): The run's config.

    Returns:
        RunLength, optional: ``train_cfg``'s ``max_iters`` if set, else
        its ``max_epochs``; None without a training loop.
    """
    train_cfg = cfg.get('train_cfg')
    if not isinstance(train_cfg, Mapping):
        return None
    loop_type = train_cfg.get('type')
    if isinstance(loop_type, str):
        loop_cls = LOOPS.get(loop_type)
        if getattr(loop_cls, 'resumes_own_state', False):
            return None
    for key in LENGTH_KEYS:
        value = train_cfg.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return RunLength(key, value)
    return None


def iter_schedulers(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """``(dotted key, scheduler config)`` of every ``param_scheduler``.

    Args:
        cfg (Config): The run's config.

    Yields:
        Tuple[str, dict]: e.g. ``('param_scheduler.0', {...})``, or
        ``('param_scheduler.architecture.0', {...})`` for DARTS's dict of
        lists (one per optimizer wrapper).
    """
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, Mapping) and 'type' in schedulers:
        yield 'param_scheduler', schedulers
        return
    if isinstance(schedulers, Mapping):
        groups = [(f'param_scheduler.{name}', group)
                  for name, group in schedulers.items()]
    else:
        groups = [('param_scheduler', schedulers)]
    for prefix, group in groups:
        if isinstance(group, Mapping) and 'type' in group:
            yield prefix, group
        elif isinstance(group, (list, tuple)):
            for i, scheduler in enumerate(group):
                if isinstance(scheduler, Mapping):
                    yield f'{prefix}.{i}', scheduler


def _same_unit(scheduler: Mapping, length: RunLength) -> bool:
    """Whether ``scheduler`` counts in the loop's unit (mmengine's
    schedulers default to ``by_epoch=True``)."""
    return bool(scheduler.get('by_epoch', True)) == length.by_epoch


def _checkpoint_hook(cfg: Config, length: RunLength) -> Optional[dict]:
    """``default_hooks.checkpoint`` when it counts in the loop's unit."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if not isinstance(hook, Mapping):
        return None
    if bool(hook.get('by_epoch', True)) != length.by_epoch:
        return None
    return hook


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _given(key: str, cfg_options: Mapping) -> bool:
    """Whether ``cfg_options`` sets ``key`` or a key above it."""
    return any(key == k or key.startswith(k + '.') for k in cfg_options)


def follow_run_length(cfg: Config, before: Optional[RunLength],
                      cfg_options: Optional[Mapping]) -> List[str]:
    """Move the keys tied to the run's length after ``cfg_options`` changed
    it (the rule: see the module docstring); log what moved.

    Args:
        cfg (Config): The config, ``cfg_options`` already merged; changed
            in place.
        before (RunLength, optional): :func:`training_length` of the
            config before ``cfg_options`` were merged.
        cfg_options (Mapping, optional): The ``--cfg-options`` given
            (dotted key -> value). Defaults to nothing given.

    Returns:
        List[str]: ``'key: old -> new'`` for each key moved; empty when
        ``cfg_options`` do not set the loop's length or leave it as it was.
    """
    cfg_options = cfg_options or {}
    after = training_length(cfg)
    if before is None or after is None or after.key != before.key or \
            f'train_cfg.{after.key}' not in cfg_options or \
            after.value == before.value:
        return []
    old, new = before.value, after.value
    moved, kept = [], []

    def move(node: dict, name: str, where: str, value) -> None:
        if _given(where, cfg_options):
            kept.append(f'{where}={node[name]}')
            return
        moved.append(f'{where}: {node[name]} -> {value}')
        node[name] = value

    for where, scheduler in iter_schedulers(cfg):
        if not _same_unit(scheduler, after):
            continue
        begin = scheduler.get('begin', 0)
        end = scheduler.get('end')
        if not _is_int(begin):
            continue
        if begin == old:  # began at the end of the run: stays after it
            move(scheduler, 'begin', f'{where}.begin', new)
            continue
        if end == old:
            if new <= begin:  # would begin after the run: named at start
                continue
            move(scheduler, 'end', f'{where}.end', new)
        t_max = scheduler.get('T_max')
        if not _is_int(t_max):
            continue
        if end == old and t_max == end - begin and \
                _is_int(scheduler['end']):
            move(scheduler, 'T_max', f'{where}.T_max',
                 scheduler['end'] - begin)
        elif t_max == old and new > begin:
            move(scheduler, 'T_max', f'{where}.T_max', new)
    train_cfg = cfg.train_cfg
    interval = train_cfg.get('val_interval')
    if _is_int(interval) and (interval == old or interval > new):
        move(train_cfg, 'val_interval', 'train_cfg.val_interval', new)
    hook = _checkpoint_hook(cfg, after)
    interval = None if hook is None else hook.get('interval')
    if _is_int(interval) and interval > 0 and (interval == old
                                               or interval > new):
        move(hook, 'interval', 'default_hooks.checkpoint.interval', new)
    variable = cfg.get(after.key)
    if _is_int(variable) and variable == old:
        move(cfg, after.key, after.key, new)
    if moved or kept:
        lines = [
            f'--cfg-options train_cfg.{after.key}={new} (the config: '
            f'{old} {after.unit}) moves every key tied to the run\'s '
            f'length ({DOCS}):'
        ]
        lines += [f'  {line}' for line in moved]
        lines += [f'  kept as given: {line}' for line in kept]
        print_log('\n'.join(lines), logger='current')
    return moved


def _end_value(scheduler: Mapping) -> str:
    """What a scheduler's parameter reaches at its end, for messages."""
    for key in ('eta_min', 'end_factor', 'eta_min_ratio'):
        if key in scheduler:
            return f'its {key}={scheduler[key]}'
    return 'its final value'


def run_length_disagreements(cfg: Config) -> List[str]:
    """Each key tied to the run's length that disagrees with it.

    Checked, in the loop's unit: a scheduled parameter (``lr``, momentum,
    ...) whose last scheduler ends before the run (the rest of the run
    keeps its final value) or any scheduler that ends after it (the value
    never reaches its end) or begins at or after it (never used); a
    ``T_max`` that does not span its scheduler; ``milestones`` after the
    run; ``train_cfg.val_interval`` / ``val_begin`` and
    ``default_hooks.checkpoint.interval`` / ``save_begin`` larger than the
    run; a DARTS ``train_cfg.arch_begin_epoch`` at or after the last epoch.
    Schedulers counted in another unit than the loop's are not checked.

    Args:
        cfg (Config): The run's config.

    Returns:
        List[str]: One line per disagreeing key, naming it, its value, the
        run's length and what follows; empty for a search loop.
    """
    length = training_length(cfg)
    if length is None:
        return []
    n, unit = length.value, length.unit
    run = f'the run\'s {n} {unit} (train_cfg.{length.key})'
    found = []
    last_end = defaultdict(list)  # (group, param) -> [(end, key, type)]
    for where, scheduler in iter_schedulers(cfg):
        if not _same_unit(scheduler, length):
            continue
        kind = str(scheduler.get('type', '?')).split('.')[-1]
        begin = scheduler.get('begin', 0)
        end = scheduler.get('end', math.inf)
        param = scheduler.get('param_name',
                              'momentum' if 'Momentum' in kind else 'lr')
        if _is_int(begin) and begin >= n:
            found.append(f'{where}.begin={begin} ({kind}): begins at or '
                         f'after the end of {run}, so it is never used')
            continue
        if _is_int(end) and end > n:
            found.append(f'{where}.end={end} ({kind}): ends after {run}, '
                         f'so {param} stops short of {_end_value(scheduler)}'
                         f'; set it to {n}')
        t_max = scheduler.get('T_max')
        span = (end if _is_int(end) else n) - (begin if _is_int(begin) else 0)
        if _is_int(t_max) and t_max != span:
            found.append(f'{where}.T_max={t_max} ({kind}): its cosine spans '
                         f'{t_max} {unit}, the scheduler {span} ({begin} to '
                         f'{end if _is_int(end) else n}); set it to {span}')
        for milestone in scheduler.get('milestones') or []:
            if _is_int(milestone) and milestone >= n:
                found.append(f'{where}.milestones: {milestone} is at or '
                             f'after the end of {run}, never reached')
        index = where.rsplit('.', 1)
        group = index[0] if index[-1].isdigit() else where  # one optimizer
        last_end[(group, param)].append((end, where, kind))
    for (_, param), ends in last_end.items():
        end, where, kind = max(ends, key=lambda e: e[0])
        if _is_int(end) and end < n:
            found.append(f'{where}.end={end} ({kind}): the {param} schedule '
                         f'ends before {run}; its last {n - end} {unit} '
                         f'keep its final {param}; set it to {n}')
    train_cfg = cfg.train_cfg
    validates = cfg.get('val_cfg') is not None and \
        cfg.get('val_dataloader') is not None
    interval = train_cfg.get('val_interval')
    if validates and _is_int(interval) and interval > n:
        found.append(f'train_cfg.val_interval={interval}: larger than {run}'
                     f', so the run validates only after its last '
                     f'{unit[:-1]}; set it to {n} or less')
    val_begin = train_cfg.get('val_begin')
    if validates and _is_int(val_begin) and val_begin > n:
        found.append(f'train_cfg.val_begin={val_begin}: after the end of '
                     f'{run}, so the run never validates')
    hook = _checkpoint_hook(cfg, length)
    if hook is not None:
        interval = hook.get('interval', -1)  # mmengine's default
        last = 'only the last one is written' if hook.get(
            'save_last', True) else 'none is written (save_last=False)'
        if _is_int(interval) and interval > n:
            found.append(f'default_hooks.checkpoint.interval={interval}: '
                         f'larger than {run}, so no checkpoint is written '
                         f'at an interval and {last}; set it to {n} or '
                         f'less')
        save_begin = hook.get('save_begin', 0)
        if _is_int(save_begin) and save_begin > n:
            found.append(f'default_hooks.checkpoint.save_begin={save_begin}'
                         f': after the end of {run}, so {last}')
    arch_begin = train_cfg.get('arch_begin_epoch')
    if length.by_epoch and _is_int(arch_begin) and arch_begin >= n:
        found.append(f'train_cfg.arch_begin_epoch={arch_begin}: at or after '
                     f'the end of {run}, so the architecture is never '
                     f'trained; set it below {n}')
    return found


def warn_run_length_disagreements(cfg: Config, config: str) -> List[str]:
    """Log one warning naming each key of :func:`run_length_disagreements`.

    Args:
        cfg (Config): The run's config.
        config (str): Its file, named in the warning.

    Returns:
        List[str]: The disagreements warned about (empty: no warning).
    """
    found = run_length_disagreements(cfg)
    if found:
        length = training_length(cfg)
        print_log(
            f'{config}: {len(found)} key(s) tied to the run\'s length '
            f'(train_cfg.{length.key}={length.value}) disagree with it:\n' +
            '\n'.join(f'  {line}' for line in found) +
            f'\n--cfg-options train_cfg.{length.key}=N moves the keys that '
            f'equal the config\'s length; set the others with --cfg-options '
            f'({DOCS})',
            logger='current',
            level=logging.WARNING)
    return found
