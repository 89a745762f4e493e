"""FLOPs / params of candidates, and lookup tables for fast checks."""
from .flops_counter import (CONVENTIONS, count_flops_by_module,
                            count_flops_params, count_params)
from .resource_table import ResourceTable

__all__ = ['CONVENTIONS', 'count_flops_by_module', 'count_flops_params',
           'count_params', 'ResourceTable']
