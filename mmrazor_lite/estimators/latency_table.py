"""Per-(decision, choice) latency on one device, read from a JSON file.

A path's predicted latency is ``scale * (fixed_ms + sum of its entries) +
offset_ms``: the entries are each candidate block timed inside whole
subnets, ``fixed_ms`` the stem, last conv and head, and the correction was
fitted on other whole subnets timed end to end (the timers around the
blocks cost a little). A lookup is ~20 dict reads, so a search can check
every candidate against a latency budget.
:func:`~mmrazor_lite.estimators.latency_timer.build_latency_table` measures
one; ``tools/analysis_tools/build_latency_table.py`` writes one.
"""
import copy
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping, NamedTuple, Optional, Sequence

from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
from mmrazor_lite.fileio.strict_data_file import DataFileError, load_data_file

FORMAT = 'mmrazor_lite latency table'
VERSION = 1
#: what a file must hold (the rest is a record of how it was measured)
REQUIRED = ('entries_ms', 'fixed_ms', 'correction')


class LatencySpan(NamedTuple):
    """The cheapest and costliest predicted paths of a table."""
    low_ms: float
    high_ms: float
    cheapest: 'OrderedDict[str, str]'
    costliest: 'OrderedDict[str, str]'


def _number(value, where: str) -> float:
    # bool is an int to Python, never a latency
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f'{where} must be a number (ms), got {value!r}')
    return float(value)


def fit_correction(sums: Sequence[float], measured: Sequence[float]):
    """``(scale, 0.0)``: ``measured ~ scale * sum`` by least squares
    through the origin. With a free offset the fit was fragile: on 8
    subnets timed on a busy machine its slope ranged 0.75-1.17 over ten
    builds, and the 0.75 one (+3.1 ms) missed every other subnet by 7-18 %
    (docs/latency.md). Tables in context need little correction."""
    scale = sum(s * m for s, m in zip(sums, measured)) / sum(s * s
                                                             for s in sums)
    return scale, 0.0


class LatencyTable:
    """Latency lookups of one search space on one device.

    Args:
        entries_ms: ``decision key -> {choice name: ms}``.
        fixed_ms: the parts every path runs (stem, last conv, head).
        scale, offset_ms: the correction, ``measured ~ scale * sum +
            offset_ms``; ``(1, 0)`` is none.
        meta: how it was measured (device, batch, input shape, threads,
            torch, date, config, the correction's fit ...), saved as is.
        path: the file it came from, named in errors.
    """

    def __init__(self,
                 entries_ms: Mapping[str, Mapping[str, float]],
                 fixed_ms: float,
                 scale: float = 1.0,
                 offset_ms: float = 0.0,
                 meta: Optional[dict] = None,
                 path: Optional[str] = None):
        self.entries_ms: Dict[str, Dict[str, float]] = OrderedDict(
            (k, OrderedDict(v)) for k, v in entries_ms.items())
        self.fixed_ms = float(fixed_ms)
        self.scale = float(scale)
        self.offset_ms = float(offset_ms)
        self.meta = dict(meta or {})
        self.path = path

    @property
    def source(self) -> str:
        return f'latency table {self.path}' if self.path else \
            'latency table (not saved)'

    # ------------------------------------------------------------- lookups
    def table_sum(self, choices: Mapping[str, str]) -> float:
        """``fixed_ms`` plus the entry of every decision's choice."""
        total = self.fixed_ms
        for key, entries in self.entries_ms.items():
            try:
                total += entries[choices[key]]
            except KeyError:
                if key not in choices:
                    raise KeyError(f'{self.source}: the candidate has no '
                                   f'choice for {key!r}') from None
                raise KeyError(
                    f'{self.source}: no entry {choices[key]!r} for {key!r} '
                    f'(it has {list(entries)})') from None
        return total

    def latency_of(self, choices: Mapping[str, str]) -> float:
        """Predicted ms of the path ``choices`` (decision key -> name)."""
        return self.scale * self.table_sum(choices) + self.offset_ms

    def min_max(self) -> LatencySpan:
        """The cheapest and the costliest predicted path.

        Entries add up independently, so with a positive ``scale`` they are
        the cheapest and the costliest entry of every decision.
        """
        sign = 1 if self.scale >= 0 else -1
        cheapest = OrderedDict((k, min(v, key=lambda n, v=v: sign * v[n]))
                               for k, v in self.entries_ms.items())
        costliest = OrderedDict((k, max(v, key=lambda n, v=v: sign * v[n]))
                                for k, v in self.entries_ms.items())
        return LatencySpan(
            self.latency_of(cheapest), self.latency_of(costliest), cheapest,
            costliest)

    def fit(self, paths: Sequence[Mapping[str, str]],
            measured_ms: Sequence[float]) -> None:
        """Fit the correction to whole subnets timed end to end, and keep
        what the fit saw (per subnet: sum, measured, predicted, residual)
        in ``meta['correction_fit']``."""
        sums = [self.table_sum(p) for p in paths]
        self.scale, self.offset_ms = fit_correction(sums, measured_ms)
        rows = []
        for path, total, meas in zip(paths, sums, measured_ms):
            pred = self.latency_of(path)
            rows.append(
                dict(
                    table_sum_ms=round(total, 4),
                    measured_ms=round(meas, 4),
                    predicted_ms=round(pred, 4),
                    residual_pct=round(100 * (pred - meas) / meas, 2),
                    choices=dict(path)))
        self.meta['correction_fit'] = dict(
            method='least squares through the origin: measured ~ scale * '
            '(fixed_ms + sum of entries)',
            subnets=rows,
            max_abs_residual_pct=max(abs(r['residual_pct']) for r in rows))

    # -------------------------------------------------------------- checks
    def check_matches(self,
                      choices: Mapping[str, Sequence[str]],
                      source: str = 'the model') -> None:
        """Refuse a table built for another search space.

        Args:
            choices: the space's ``decision key -> choice names`` (e.g.
                :attr:`OneShotMutator.choices`).
            source: names the space in the error (e.g. the config file).

        Raises:
            ValueError: names this file and every decision or choice that is
                missing from it or unknown to ``source``.
        """
        problems = []
        missing = [k for k in choices if k not in self.entries_ms]
        unknown = [k for k in self.entries_ms if k not in choices]
        if missing:
            problems.append(f'no entries for the decisions {missing}')
        if unknown:
            problems.append(f'decisions {unknown} that {source} does not have')
        for key, names in choices.items():
            have = self.entries_ms.get(key)
            if have is None:
                continue
            lacking = [n for n in names if n not in have]
            extra = [n for n in have if n not in names]
            if lacking:
                problems.append(f'no entries for the choices {lacking} of '
                                f'{key!r}')
            if extra:
                problems.append(f'choices {extra} of {key!r} that {source} '
                                f'does not offer')
        if problems:
            raise ValueError(
                f'{self.source} does not match the search space of {source}: '
                f'{"; ".join(problems)}. Build a table for this space with '
                f'tools/analysis_tools/build_latency_table.py')

    def describe(self) -> str:
        """One line: where it was measured and the span it predicts."""
        m = self.meta
        span = self.min_max()
        fit = m.get('correction_fit', {})
        resid = fit.get('max_abs_residual_pct')
        return (f'{self.source}: {m.get("device_name", m.get("device", "?"))}'
                f', batch {m.get("batch", "?")}, input '
                f'{m.get("input_shape", "?")}, {m.get("threads", "?")} '
                f'thread(s), torch {m.get("torch", "?")}, '
                f'{len(self.entries_ms)} decisions, paths '
                f'{span.low_ms:.2f}-{span.high_ms:.2f} ms (correction '
                f'{self.scale:.3f} x + {self.offset_ms:.2f} ms' +
                (f', fit residuals up to {resid:.1f} %'
                 if resid is not None else '') + ')')

    # ----------------------------------------------------------------- file
    def to_dict(self) -> dict:
        """The file's content: the record, the table, then the fit's
        details (long) last. A copy: editing it leaves the table as is."""
        meta = {k: v for k, v in self.meta.items() if k != 'correction_fit'}
        data = dict(
            format=FORMAT,
            version=VERSION,
            **meta,
            entries_ms=self.entries_ms,
            fixed_ms=self.fixed_ms,
            correction=dict(scale=self.scale, offset_ms=self.offset_ms))
        if 'correction_fit' in self.meta:
            data['correction_fit'] = self.meta['correction_fit']
        return copy.deepcopy(data)

    def save(self, path: str) -> None:
        """Write the JSON file atomically (never half a table)."""
        atomic_write_text(json.dumps(self.to_dict(), indent=1) + '\n', path)
        self.path = path

    @classmethod
    def load(cls, path: str) -> 'LatencyTable':
        """Read a table; every error names the file and the bad key."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'latency table {path} does not exist; build one with '
                f'tools/analysis_tools/build_latency_table.py CONFIG --out '
                f'{path}')
        try:  # strictly: a hand-edited duplicate key is an error
            data = load_data_file(path, 'latency table')
        except DataFileError as err:
            raise ValueError(f'latency table {path} is not valid JSON: '
                             f'{err}') from None
        return cls.from_dict(data, path)

    @classmethod
    def from_dict(cls, data, path: str = '(dict)') -> 'LatencyTable':

        def bad(key, why):
            return ValueError(f'latency table {path}: {key} {why}')

        if not isinstance(data, dict):
            raise bad(
                'the file', f'must hold a JSON object, got '
                f'{type(data).__name__}')
        if data.get('format') != FORMAT:
            raise bad(
                '"format"', f'is {data.get("format")!r}, expected '
                f'{FORMAT!r} (not a latency table?)')
        if data.get('version') != VERSION:
            raise bad(
                '"version"', f'is {data.get("version")!r}; this '
                f'version of mmrazor_lite reads {VERSION}')
        for key in REQUIRED:
            if key not in data:
                raise bad(f'"{key}"', 'is missing')
        entries = data['entries_ms']
        if not isinstance(entries, dict) or not entries:
            raise bad('"entries_ms"', 'must map decision keys to '
                      '{choice: ms}')
        for key, names in entries.items():
            if not isinstance(names, dict) or not names:
                raise bad(f'"entries_ms.{key}"', 'must map choice names to '
                          'ms')
            for name, ms in names.items():
                _number(ms, f'latency table {path}: "entries_ms.{key}.{name}"')
        corr = data['correction']
        if not isinstance(corr, dict):
            raise bad('"correction"', 'must hold scale and offset_ms')
        for key in ('scale', 'offset_ms'):
            if key not in corr:
                raise bad(f'"correction.{key}"', 'is missing')
            _number(corr[key], f'latency table {path}: "correction.{key}"')
        fixed = _number(data['fixed_ms'], f'latency table {path}: '
                        f'"fixed_ms"')
        meta = {
            k: v
            for k, v in data.items()
            if k not in REQUIRED + ('format', 'version')
        }
        return cls(entries, fixed, corr['scale'], corr['offset_ms'], meta,
                   path)
