"""Find, group, sample, set and export the choices of a model."""
from .darts_mutator import DartsMutator
from .genotype_derivation import derive_genotype
from .one_shot_mutator import OneShotMutator

__all__ = ['DartsMutator', 'OneShotMutator', 'derive_genotype']
