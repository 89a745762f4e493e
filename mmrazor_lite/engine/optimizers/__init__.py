"""Optimizer wrapper constructors and the stepless wrapper of a search."""
from .separate_optim_constructor import SeparateOptimWrapperConstructor
from .stepless_optim_wrapper import use_stepless_optim_wrapper
from .summarising_optim_constructor import SummarisingOptimWrapperConstructor

__all__ = [
    'SeparateOptimWrapperConstructor', 'SummarisingOptimWrapperConstructor',
    'use_stepless_optim_wrapper'
]
