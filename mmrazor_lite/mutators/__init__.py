"""Find, group, sample, set and export the choices of a model."""
from .darts_mutator import DartsMutator
from .one_shot_mutator import OneShotMutator

__all__ = ['DartsMutator', 'OneShotMutator']
