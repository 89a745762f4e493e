"""subnet"""
from .genotype import GENOTYPES, Genotype, derive_genotype, dump_genotype, load_genotype  # noqa: F401,E501
