"""FLOPs / params / latency of candidates, and lookup tables for fast
checks."""
from .flops_counter import (CONVENTIONS, count_flops_by_module,
                            count_flops_params, count_params)
from .latency_table import LatencySpan, LatencyTable
from .latency_timer import build_latency_table, time_subnets
from .resource_budget import ResourceBudget, SearchConstraintError
from .resource_table import ResourceTable

__all__ = [
    'CONVENTIONS', 'count_flops_by_module', 'count_flops_params',
    'count_params', 'LatencySpan', 'LatencyTable', 'build_latency_table',
    'time_subnets', 'ResourceBudget', 'SearchConstraintError', 'ResourceTable'
]
