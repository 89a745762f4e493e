"""subnet"""
from .genotype import GENOTYPES, Genotype, derive_genotype, dump_genotype, load_genotype  # noqa: F401,E501
from .subnet_file import SubnetFileError, dump_subnet_file, load_subnet_file  # noqa: F401,E501
