"""Measure a :class:`LatencyTable`: every candidate block inside whole
subnets, then whole subnets for the correction.

Whole subnets run with a timer around every choice block; the paths are
drawn so that every candidate of every decision runs equally often, each
time between other random neighbours. A block is timed on its real input,
with the caches as the network leaves them: timed alone, on a tensor of its
input shape, a block kept its weights in the small caches and ran up to
30 % faster than in a network, unevenly (docs/latency.md has the numbers).
The fixed parts (stem, last conv, head) are each forward's total minus its
blocks. Then whole subnets, spread from the cheapest to the costliest
predicted path, are timed end to end and ``measured ~ scale * sum +
offset`` is fitted (:meth:`LatencyTable.fit`).

Everything runs in eval mode under ``torch.inference_mode`` on ``device``
with ``threads`` intra-op threads; each timed forward follows a warm one of
the same subnet (the steady state of repeated inference), and the subnets
alternate, so a machine whose speed drifts slows every entry alike.
"""
import contextlib
import datetime
import os
import platform
import random
import statistics
import time
from collections import OrderedDict, defaultdict
from typing import Callable, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn

from .latency_table import LatencyTable

#: ``wall``: elapsed time. ``thread``: CPU time of the calling thread, which
#: on a CPU with one intra-op thread is the elapsed time minus the slices
#: other processes took: what the device does when nobody else runs
CLOCKS = dict(wall=time.perf_counter, thread=time.thread_time)


def pick_clock(clock: str, device, threads: int) -> str:
    """``auto``: ``thread`` on a CPU with one thread, else ``wall``."""
    if clock == 'auto':
        single = str(device) == 'cpu' and threads == 1
        return 'thread' if single else 'wall'
    if clock not in CLOCKS:
        raise ValueError(f'clock must be auto, wall or thread, got {clock!r}')
    if clock == 'thread' and (str(device) != 'cpu' or threads != 1):
        raise ValueError('clock=thread measures one CPU thread only: use it '
                         'with device cpu and threads 1')
    return clock


def steady_allocator() -> bool:
    """Keep freed memory in this process (glibc: no mmap for big blocks,
    no trimming), as caching allocators (jemalloc, tcmalloc) do. With
    glibc's defaults some subnets page-fault their activations in afresh
    on every forward, ~30 % slower, depending on what ran before them: not
    a cost of the architecture. For a process that only times models (the
    tools call it); False where it does not apply (not glibc)."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    # M_TRIM_THRESHOLD (-1): never; M_MMAP_THRESHOLD (-3): glibc's maximum
    return bool(mallopt(-1, 2**31 - 1)) and bool(mallopt(-3, 32 << 20))


def device_name(device: str) -> str:
    """The CPU model or the GPU name, for the record."""
    if str(device).startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    name = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as f:
            names = [
                ln.split(':', 1)[1].strip() for ln in f
                if ln.startswith('model name')
            ]
        name = names[0] if names else name
    return f'{name} ({os.cpu_count()} cores)'


def _sync(device) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(torch.device(device))


def _pick(statistic: str):
    return min if statistic == 'min' else statistics.median


def _timed_ms(fn: Callable[[], object], device, clock: str) -> float:
    tick = CLOCKS[clock]
    _sync(device)
    start = tick()
    fn()
    _sync(device)
    return (tick() - start) * 1e3


@contextlib.contextmanager
def swapped(model: nn.Module, replacements: Mapping[str, nn.Module]):
    """``model`` with the modules at the given paths replaced, restored
    after: a fixed subnet without copying any weights."""
    saved = []
    try:
        for path, module in replacements.items():
            parent_path, _, child = path.rpartition('.')
            parent = model.get_submodule(parent_path) if parent_path else \
                model
            saved.append((parent, child, getattr(parent, child)))
            setattr(parent, child, module)
        yield model
    finally:
        for parent, child, module in reversed(saved):
            setattr(parent, child, module)


def subnet_modules(
        mutator, choices: Mapping[str, str]) -> 'OrderedDict[str, nn.Module]':
    """``module path -> chosen op``: what :func:`fix_model` would put in
    place of every choice block."""
    decided = mutator.validate_choices(choices)
    return OrderedDict((path, mutable.candidate(decided[key]))
                       for key, members in mutator.search_groups.items()
                       for path, mutable in members)


def _subnet_rounds(model,
                   mutator,
                   paths,
                   x,
                   repeats,
                   device,
                   clock,
                   before=None,
                   after=None) -> List[List[float]]:
    """Every path's fixed subnet, ``repeats`` rounds of a warm and a timed
    forward (the swap is outside the timing: a deployed subnet has none);
    ``before()`` and ``after(i, ms)`` around each timed one."""
    swaps = [subnet_modules(mutator, p) for p in paths]
    samples = [[] for _ in paths]
    for _ in range(repeats):
        for i, swap in enumerate(swaps):
            with swapped(model, swap):
                model(x)
                before and before()
                samples[i].append(_timed_ms(lambda: model(x), device, clock))
                after and after(i, samples[i][-1])
    return samples


def time_subnets(model,
                 mutator,
                 paths: Sequence[Mapping[str, str]],
                 input_shape,
                 device='cpu',
                 repeats: int = 30,
                 statistic: str = 'min',
                 threads: Optional[int] = None,
                 clock: str = 'auto') -> List[float]:
    """End-to-end ms of the fixed subnet of every path, interleaved, timed
    as :func:`build_latency_table` times blocks."""
    x = torch.randn(*input_shape, device=device)
    with _timing_mode(model, threads), torch.inference_mode():
        clock = pick_clock(clock, device, torch.get_num_threads())
        samples = _subnet_rounds(model, mutator, paths, x, repeats, device,
                                 clock)
    return [_pick(statistic)(s) for s in samples]


def _balanced_paths(choices, num: int, rng: random.Random):
    """``num`` paths in which every candidate of a decision appears
    equally often (up to one), with the neighbours drawn at random."""
    columns = {}
    for key, names in choices.items():
        column = [names[i % len(names)] for i in range(num)]
        rng.shuffle(column)
        columns[key] = column
    return [
        OrderedDict((k, c[i]) for k, c in columns.items()) for i in range(num)
    ]


def _times_in_context(model, mutator, x, repeats, device, clock, stat, rng):
    """Entries and fixed ms from timers around every block of
    ``repeats`` subnets per candidate."""
    widest = max(len(v) for v in mutator.choices.values())
    paths = _balanced_paths(mutator.choices, repeats * widest, rng)
    tick, now, spent = CLOCKS[clock], {}, defaultdict(float)
    key_of = {
        path: key
        for key, members in mutator.search_groups.items()
        for path, _ in members
    }

    def start(path):

        def hook(module, args):
            _sync(device)
            now[path] = tick()

        return hook

    def stop(path):

        def hook(module, args, out):
            _sync(device)  # members of a shared decision add up
            spent[key_of[path]] += (tick() - now[path]) * 1e3

        return hook

    ops = [(path, m.candidate(name))
           for members in mutator.search_groups.values() for path, m in members
           for name in m.choices]
    hooks = [
        hook for path, op in ops
        for hook in (op.register_forward_pre_hook(start(path)),
                     op.register_forward_hook(stop(path)))
    ]
    blocks, fixed = defaultdict(list), []

    def record(i, total):
        for key, ms in spent.items():
            blocks[key, paths[i][key]].append(ms)
        fixed.append(total - sum(spent.values()))

    try:
        _subnet_rounds(
            model,
            mutator,
            paths,
            x,
            1,
            device,
            clock,
            before=spent.clear,
            after=record)
    finally:
        for hook in hooks:
            hook.remove()
    return OrderedDict(
        (key, OrderedDict((n, stat(blocks[key, n])) for n in names))
        for key, names in mutator.choices.items()), stat(fixed)


def spread_paths(table: LatencyTable, num: int,
                 rng: random.Random) -> List['OrderedDict[str, str]']:
    """``num`` paths from the cheapest to the costliest: path ``j`` takes,
    per decision, a choice near the ``j / (num - 1)`` quantile of its
    entries (jittered), so a fit sees the whole range."""
    paths = []
    for j in range(num):
        level = j / max(1, num - 1)
        path = OrderedDict()
        for key, entries in table.entries_ms.items():
            ranked = sorted(entries, key=entries.get)
            pos = round(level * (len(ranked) - 1) + rng.gauss(0, 0.7))
            path[key] = ranked[min(len(ranked) - 1, max(0, pos))]
        paths.append(path)
    return paths


def build_latency_table(model: nn.Module,
                        mutator,
                        input_shape: Sequence[int] = (1, 3, 224, 224),
                        device: str = 'cpu',
                        threads: Optional[int] = None,
                        repeats: int = 30,
                        fit_subnets: int = 8,
                        seed: int = 0,
                        statistic: str = 'min',
                        clock: str = 'auto',
                        config: Optional[str] = None) -> LatencyTable:
    """Time every candidate of every decision of ``model`` and fit the
    correction on ``fit_subnets`` whole subnets (see the module doc).

    Args:
        model: the supernet (e.g. the SPOS ``architecture``), moved to
            ``device`` here.
        mutator: a prepared :class:`OneShotMutator` of ``model``.
        input_shape: ``(batch, C, H, W)``.
        threads: ``torch.set_num_threads`` while timing (restored after).
        repeats: timings of every candidate (and of every fit subnet).
        fit_subnets: whole subnets timed for the correction (0: none).
        statistic: ``min`` or ``median`` of a block's timings: on a shared
            machine the minimum is the speed without the neighbours' load.
        clock: ``auto``, ``wall`` or ``thread`` (see :data:`CLOCKS`).
        config: recorded as where the space came from.
    """
    if statistic not in ('median', 'min'):
        raise ValueError(f'statistic must be median or min, got '
                         f'{statistic!r}')
    model.to(device)
    input_shape = tuple(input_shape)
    rng = random.Random(seed)
    with _timing_mode(model, threads), torch.inference_mode():
        clock = pick_clock(clock, device, torch.get_num_threads())
        x = torch.randn(*input_shape, device=device)
        entries, fixed = _times_in_context(model, mutator, x, repeats, device,
                                           clock, _pick(statistic), rng)
        table = LatencyTable(
            entries,
            fixed,
            meta=dict(
                device=str(device),
                device_name=device_name(device),
                batch=input_shape[0],
                input_shape=list(input_shape[1:]),
                threads=torch.get_num_threads(),
                torch=torch.__version__,
                date=datetime.datetime.now().isoformat(timespec='seconds'),
                config=config,
                statistic=statistic,
                clock=clock,
                repeats=repeats))
        if fit_subnets:
            paths = spread_paths(table, fit_subnets, rng)
            samples = _subnet_rounds(model, mutator, paths, x, repeats, device,
                                     clock)
            table.fit(paths, [_pick(statistic)(s) for s in samples])
    return table


@contextlib.contextmanager
def _timing_mode(model, threads):
    was_training, old_threads = model.training, torch.get_num_threads()
    model.eval()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        model.train(was_training)
