"""What the benchmark scripts share: how they time side by side, describe
the machine and print their result.

A script run as a file finds this module beside it (its folder is on
``sys.path``); a test loads it first with ``helpers.tools.load_module``.
"""
import json
import statistics
import time
from typing import Callable, Mapping, Optional


def timed(fn: Callable[[], object],
          sync: Optional[Callable[[], object]] = None) -> float:
    """Wall seconds of ``fn()``, ``sync()`` (e.g. CUDA's) before and
    after."""
    if sync:
        sync()
    start = time.perf_counter()
    fn()
    if sync:
        sync()
    return time.perf_counter() - start


def self_timed(fn: Callable[[], object]):
    """The ``timer`` of :func:`alternate` for callables that measure
    themselves: what they return is the measure."""
    return fn()


def alternate(callables,
              rounds: int,
              warmup: int = 0,
              sync=None,
              timer=None,
              times=None):
    """Call ``callables`` in turn, ``warmup + rounds`` rounds; the median
    of each one's measures after the warm-up rounds.

    Alternating exposes them all alike to the drift of a shared machine
    (timed one after the other, the drift goes into their ratio); one
    callable is plain repeated timing. A sequence gives a list of medians,
    a mapping a dict of them by its keys. ``timer(fn)`` measures one call:
    :func:`timed` with ``sync`` unless given; a measure may be a tuple,
    whose items get their medians one by one. ``times``: one list per
    callable that keeps the measures across calls (the medians are then
    of all they hold).
    """
    names = list(callables) if isinstance(callables, Mapping) else None
    fns = list(callables.values() if names is not None else callables)
    timer = timer or (lambda fn: timed(fn, sync))
    kept = [[] for _ in fns] if times is None else times
    for i in range(warmup + rounds):
        for fn, measures in zip(fns, kept):
            measure = timer(fn)
            if i >= warmup:
                measures.append(measure)
    medians = [_median(measures) for measures in kept]
    return medians if names is None else dict(zip(names, medians))


def _median(measures):
    if measures and isinstance(measures[0], tuple):
        return tuple(statistics.median(m) for m in zip(*measures))
    return statistics.median(measures)


def describe_machine(device: str = 'cpu') -> dict:
    """``device_name`` (the latency tables' record of it: the CPU model
    and its cores, or the GPU), ``torch`` (version) and ``threads``
    (torch's intra-op threads now)."""
    import torch

    from mmrazor_lite.estimators.latency_timer import device_name
    return dict(
        device_name=device_name(device),
        torch=torch.__version__,
        threads=torch.get_num_threads())


def print_result(result: dict, as_json: bool) -> None:
    """One JSON line (what ``run_all.py`` reads) or aligned ``key: value``
    lines for a person."""
    if as_json:
        print(json.dumps(result))
        return
    width = max(map(len, result))
    for key, value in result.items():
        print(f'{key:>{width}}: {value}')
