"""Measure a :class:`LatencyTable`: blocks alone, then whole subnets.

1. One forward pass with hooks records every choice block's real input
   and output shape.
2. Every candidate of every decision is timed alone on a tensor of that
   shape; the fixed parts (stem, last conv, head) are timed as the whole
   model with every choice block replaced by a stub that hands back a
   ready output tensor.
3. A handful of whole subnets, spread from the cheapest to the costliest
   predicted path, are timed end to end and ``measured ~ scale * sum +
   offset`` is fitted by least squares: blocks run back to back share
   caches and call overheads that blocks timed alone do not.

Everything runs in eval mode under ``torch.inference_mode`` on ``device``
with ``threads`` intra-op threads. Measurements are interleaved (round
after round over all blocks, or all subnets) so that a machine whose speed
drifts slows every entry alike, and each sample is a short burst after a
warm call: the steady state of repeated inference.
"""
import contextlib
import datetime
import os
import platform
import random
import statistics
import time
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn

from .latency_table import LatencyTable


def device_name(device: str) -> str:
    """The CPU model or the GPU name, for the record."""
    if str(device).startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    name = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f
                     if ln.startswith('model name')]
        name = names[0] if names else name
    return f'{name} ({os.cpu_count()} cores)'


def _sync(device) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(torch.device(device))


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


def _burst_ms(fn: Callable[[], object], burst: int, device,
              clock=time.perf_counter) -> List[float]:
    """One warm call, then the ms of each of ``burst`` timed calls."""
    fn()
    times = []
    for _ in range(burst):
        _sync(device)
        start = clock()
        fn()
        _sync(device)
        times.append((clock() - start) * 1e3)
    return times


def interleaved_ms(fns: Sequence[Callable[[], object]], repeats: int,
                   burst: int, device, statistic: str = 'min',
                   clock: str = 'wall') -> List[float]:
    """ms per call of every ``fn``, ``repeats`` rounds over all of them."""
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            samples[i].extend(_burst_ms(fn, burst, device, CLOCKS[clock]))
    pick = min if statistic == 'min' else statistics.median
    return [pick(s) for s in samples]


@contextlib.contextmanager
def swapped(model: nn.Module, replacements: Mapping[str, nn.Module]):
    """``model`` with the modules at the given paths replaced, restored
    after: a fixed subnet (or stubs) without copying any weights."""
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


def subnet_modules(mutator, choices: Mapping[str, str]
                   ) -> 'OrderedDict[str, nn.Module]':
    """``module path -> chosen op``: what :func:`fix_model` would put in
    place of every choice block."""
    decided = mutator.validate_choices(choices)
    return OrderedDict((path, mutable.candidate(decided[key]))
                       for key, members in mutator.search_groups.items()
                       for path, mutable in members)


class _Canned(nn.Module):
    """Stands for a choice block: hands back a ready output."""

    def __init__(self, out: torch.Tensor):
        super().__init__()
        self.out = out

    def forward(self, x):
        return self.out


def block_shapes(model, mutator, input_shape, device):
    """``path -> (input tensor, output tensor)`` of every choice block."""
    seen = {}
    hooks = [module.register_forward_hook(
        lambda m, args, out, path=path: seen.__setitem__(
            path, (args[0].detach().clone(), out.detach().clone())))
        for members in mutator.search_groups.values()
        for path, module in members]
    try:
        with torch.inference_mode():
            model(torch.randn(*input_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
    missing = [p for p in mutator.mutable_paths if p not in seen]
    if missing:
        raise RuntimeError(f'choice blocks {missing} did not run in a '
                           f'forward pass: cannot time them')
    return seen


def subnet_fn(model, mutator, choices: Mapping[str, str], x
              ) -> Callable[[], object]:
    """A call that runs the fixed subnet of ``choices`` on ``x``."""
    swap = subnet_modules(mutator, choices)

    def fn():
        with swapped(model, swap):
            return model(x)
    return fn


def time_subnets(model, mutator, paths: Sequence[Mapping[str, str]],
                 input_shape, device='cpu', repeats: int = 30,
                 burst: int = 1, statistic: str = 'min',
                 threads: Optional[int] = None,
                 clock: str = 'auto') -> List[float]:
    """End-to-end ms of the fixed subnet of every path, interleaved, timed
    as :func:`build_latency_table` times blocks."""
    x = torch.randn(*input_shape, device=device)
    with _timing_mode(model, threads), torch.inference_mode():
        clock = pick_clock(clock, device, torch.get_num_threads())
        return interleaved_ms([subnet_fn(model, mutator, p, x)
                               for p in paths], repeats, burst, device,
                              statistic, clock)


def fit_correction(sums: Sequence[float], measured: Sequence[float]):
    """``(scale, offset)`` of ``measured ~ scale * sum + offset``.

    Least squares; a pure ratio (offset 0) when the sums barely spread or
    the slope comes out non-positive (noise on a narrow spread).
    """
    n = len(sums)
    mean_s, mean_m = sum(sums) / n, sum(measured) / n
    var = sum((s - mean_s) ** 2 for s in sums)
    if n >= 3 and var > (0.02 * mean_s) ** 2 * n:
        scale = sum((s - mean_s) * (m - mean_m)
                    for s, m in zip(sums, measured)) / var
        if scale > 0:
            return scale, mean_m - scale * mean_s
    return sum(measured) / sum(sums), 0.0


def spread_paths(table: LatencyTable, num: int, rng: random.Random
                 ) -> List['OrderedDict[str, str]']:
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


def build_latency_table(model: nn.Module, mutator,
                        input_shape: Sequence[int] = (1, 3, 224, 224),
                        device: str = 'cpu', threads: Optional[int] = None,
                        repeats: int = 30, burst: int = 1,
                        fit_subnets: int = 8, seed: int = 0,
                        statistic: str = 'min', clock: str = 'auto',
                        config: Optional[str] = None) -> LatencyTable:
    """Time every candidate of every decision of ``model`` and fit the
    correction on ``fit_subnets`` whole subnets (see the module doc).

    Args:
        model: the supernet (e.g. the SPOS ``architecture``), moved to
            ``device`` here.
        mutator: a prepared :class:`OneShotMutator` of ``model``.
        input_shape: ``(batch, C, H, W)``.
        threads: ``torch.set_num_threads`` while timing (restored after).
        repeats, burst: rounds over all blocks and subnets, and timed
            calls of each in a round after one warm call.
        fit_subnets: whole subnets timed for the correction (0: none).
        statistic: ``min`` or ``median`` of all timed calls of a block:
            on a shared machine the minimum is the speed without the
            neighbours' load (docs/latency.md has the measurements).
        clock: ``auto``, ``wall`` or ``thread`` (see :data:`CLOCKS`).
        config: recorded as where the space came from.
    """
    if statistic not in ('median', 'min'):
        raise ValueError(f'statistic must be median or min, got '
                         f'{statistic!r}')
    model.to(device)
    input_shape = tuple(input_shape)
    with _timing_mode(model, threads), torch.inference_mode():
        clock = pick_clock(clock, device, torch.get_num_threads())
        shapes = block_shapes(model, mutator, input_shape, device)
        jobs = [(key, name, lambda op=mutable.candidate(name),
                 x=shapes[path][0]: op(x))
                for key, members in mutator.search_groups.items()
                for path, mutable in members for name in mutable.choices]
        stubs = {p: _Canned(out) for p, (_, out) in shapes.items()}
        x = torch.randn(*input_shape, device=device)

        def fixed_fn():  # the model around stubs: stem, last conv, head
            with swapped(model, stubs):
                model(x)
        fns = [fn for _, _, fn in jobs] + [fixed_fn]
        meta = dict(
            device=str(device), device_name=device_name(device),
            batch=input_shape[0], input_shape=list(input_shape[1:]),
            threads=torch.get_num_threads(), torch=torch.__version__,
            date=datetime.datetime.now().isoformat(timespec='seconds'),
            config=config, statistic=statistic, clock=clock,
            repeats=repeats, burst=burst)
        # a quick first pass ranks the candidates (and warms up), so that
        # the fit paths can spread from the cheapest to the costliest
        rough = _table(jobs, interleaved_ms(fns, 2, 1, device, 'min', clock),
                       mutator.choices, meta)
        paths = spread_paths(rough, fit_subnets, random.Random(seed))
        ms = interleaved_ms(fns, repeats, burst, device, statistic, clock)
        table = _table(jobs, ms, mutator.choices, meta)
        if paths:
            # whole subnets in rounds of their own: run between ~100 other
            # blocks each would find colder caches and heap than when run
            # back to back, as deployed (and as the benchmark times them)
            measured = interleaved_ms(
                [subnet_fn(model, mutator, p, x) for p in paths], repeats,
                burst, device, statistic, clock)
            sums = [table.table_sum(p) for p in paths]
            table.scale, table.offset_ms = fit_correction(sums, measured)
            table.meta['correction_fit'] = fit_record(table, paths, measured)
    return table


def _table(jobs, ms, choices, meta) -> LatencyTable:
    """The table of ``jobs``' times (the fixed part's last), uncorrected."""
    entries: Dict[str, Dict[str, float]] = OrderedDict(
        (key, OrderedDict((n, 0.0) for n in names))
        for key, names in choices.items())
    for (key, name, _), t in zip(jobs, ms):
        entries[key][name] += t  # members of a shared decision add up
    return LatencyTable(entries, ms[len(jobs)], meta=dict(meta))


def fit_record(table: LatencyTable, paths, measured) -> dict:
    """What the fit saw: per subnet sum, measured, prediction, residual."""
    rows = []
    for path, meas in zip(paths, measured):
        pred = table.latency_of(path)
        rows.append(dict(table_sum_ms=round(table.table_sum(path), 4),
                         measured_ms=round(meas, 4),
                         predicted_ms=round(pred, 4),
                         residual_pct=round(100 * (pred - meas) / meas, 2),
                         choices=dict(path)))
    return dict(method='least squares: measured ~ scale * (fixed_ms + '
                'sum of entries) + offset_ms', subnets=rows,
                max_abs_residual_pct=max(abs(r['residual_pct'])
                                         for r in rows))
