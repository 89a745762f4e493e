"""A FLOPs / params / latency budget, checked against lookup tables: a
:class:`ResourceTable` for FLOPs and params, a :class:`LatencyTable` for
latency (ms on the device the table was measured on)."""
from typing import Mapping, Optional, Sequence, Tuple

Bounds = Optional[Tuple[Optional[float], Optional[float]]]


class SearchConstraintError(ValueError):
    """No candidate (or too few) satisfy the budget."""


def parse_range(name: str, value) -> Bounds:
    """``None``, an upper bound, or ``(min, max)`` (either may be None)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (None, value)  # a bare number is an upper bound
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f'{name} must be None, an upper bound or (min, max) '
                         f'(either may be None), got {value!r}')
    low, high = value
    if low is not None and high is not None and low > high:
        raise ValueError(f'{name} {value!r}: min is larger than max')
    return (low, high)


def in_range(value, bounds: Bounds) -> bool:
    """Whether ``value`` lies in ``bounds`` (inclusive)."""
    if bounds is None:
        return True
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


class ResourceBudget:
    """``flops_range``, ``params_range`` and ``latency_range`` of a search.

    Args:
        flops_range, params_range, latency_range: ``None``, an upper bound
            or ``(min, max)`` (inclusive; either bound may be ``None``);
            latency in ms, predicted by a :class:`LatencyTable`.
    """

    def __init__(self,
                 flops_range: Optional[Sequence] = None,
                 params_range: Optional[Sequence] = None,
                 latency_range: Optional[Sequence] = None):
        self.flops_range = parse_range('flops_range', flops_range)
        self.params_range = parse_range('params_range', params_range)
        self.latency_range = parse_range('latency_range', latency_range)

    def _latency_table(self, latency_table):
        if self.latency_range is not None and latency_table is None:
            raise ValueError(
                f'latency_range needs latency_table=FILE (latency_range='
                f'{tuple(self.latency_range)} given; build the table with '
                f'tools/analysis_tools/build_latency_table.py)')
        return latency_table

    def allows(self,
               table,
               choices: Mapping[str, str],
               latency_table=None) -> bool:
        """Whether the path ``choices`` fits, by the tables' lookups."""
        latency = self._latency_table(latency_table)
        return (in_range(table.flops_of(choices), self.flops_range)
                and in_range(table.params_of(choices), self.params_range) and
                (self.latency_range is None
                 or in_range(latency.latency_of(choices), self.latency_range)))

    def check_feasible(self, table, latency_table=None) -> None:
        """Fail at once when the budget lies outside every path's cost.

        Raises:
            SearchConstraintError: names the range and the space's span.
            ValueError: ``latency_range`` without ``latency_table``.
        """
        latency = self._latency_table(latency_table)
        if self.latency_range is not None:
            span = latency.min_max()
            low, high = self.latency_range
            if ((low is not None and low > span.high_ms)
                    or (high is not None and high < span.low_ms)):
                raise SearchConstraintError(
                    f'latency_range={tuple(self.latency_range)} cannot be '
                    f'met: {latency.source} predicts the paths of this '
                    f'search space at {span.low_ms:.2f} to '
                    f'{span.high_ms:.2f} ms')
        for name, bounds, costs, fixed in (('flops_range', self.flops_range,
                                            table.flops, table.fixed_flops),
                                           ('params_range', self.params_range,
                                            table.params, table.fixed_params)):
            if bounds is None:
                continue
            low = fixed + sum(min(v.values()) for v in costs.values())
            high = fixed + sum(max(v.values()) for v in costs.values())
            if ((bounds[0] is not None and bounds[0] > high)
                    or (bounds[1] is not None and bounds[1] < low)):
                raise SearchConstraintError(
                    f'{name}={tuple(bounds)} cannot be met: the paths of '
                    f'this search space cost between {low:,} and {high:,} '
                    f'(input_shape {table.input_shape}, convention '
                    f'{table.convention!r})')

    def nothing_found(self, draws: int, input_shape) -> SearchConstraintError:
        """The error for a search that found no candidate in budget."""
        return SearchConstraintError(
            f'no candidate within {self.describe()} was found in {draws} '
            f'random draws (input_shape {tuple(input_shape)}); widen the '
            f'ranges or raise max_tries_factor')

    def state_dict(self) -> dict:
        """The ranges as plain lists (``None`` where unset), for a file.

        ``latency_range`` only when set: the settings of a search saved
        before latency budgets existed still compare equal on resume.
        """
        state = dict(
            flops_range=None
            if self.flops_range is None else list(self.flops_range),
            params_range=None
            if self.params_range is None else list(self.params_range))
        if self.latency_range is not None:
            state['latency_range'] = list(self.latency_range)
        return state

    def describe(self) -> str:
        text = (f'flops_range={self.flops_range} and '
                f'params_range={self.params_range}')
        if self.latency_range is not None:
            text = (f'flops_range={self.flops_range}, params_range='
                    f'{self.params_range} and latency_range='
                    f'{self.latency_range} (ms)')
        return text
