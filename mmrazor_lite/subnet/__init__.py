"""Subnet file formats: SPOS subnet yaml (ours and MMRazor 0.x), DARTS genotypes."""
from .genotype import (GENOTYPES, Genotype, derive_genotype, dump_genotype,
                       load_genotype)
from .mmrazor_legacy import (convert_mmrazor_legacy_subnet,
                             load_mmrazor_legacy_subnet)
from .subnet_file import SubnetFileError, dump_subnet_file, load_subnet_file

__all__ = [
    'GENOTYPES', 'Genotype', 'derive_genotype', 'dump_genotype',
    'load_genotype', 'convert_mmrazor_legacy_subnet',
    'load_mmrazor_legacy_subnet', 'SubnetFileError', 'dump_subnet_file',
    'load_subnet_file'
]
