"""Find, group, sample, set and export the choices of a model."""
from .one_shot_mutator import OneShotMutator

__all__ = ['OneShotMutator']
