"""Subnet file formats: SPOS subnet yaml (ours and MMRazor 0.x), DARTS genotypes."""
from .genotype import (GENOTYPES, Genotype, derive_genotype, dump_genotype,
                       load_genotype)
from .mmrazor_legacy import (convert_mmrazor_legacy_subnet,
                             load_mmrazor_legacy_subnet)
from .subnet_file import SubnetFileError, dump_subnet_file, load_subnet_file
from .fix_model import check_subnet, fix_model, read_subnet_spec
from .subnet_weights import (load_subnet_state_dict, subnet_of_state_dict,
                             unwrap_state_dict)
from .fixed_subnet_model import FixedSubnet

__all__ = [
    'GENOTYPES', 'Genotype', 'derive_genotype', 'dump_genotype',
    'load_genotype', 'convert_mmrazor_legacy_subnet',
    'load_mmrazor_legacy_subnet', 'SubnetFileError', 'dump_subnet_file',
    'load_subnet_file', 'check_subnet', 'fix_model', 'read_subnet_spec',
    'load_subnet_state_dict', 'subnet_of_state_dict', 'unwrap_state_dict',
    'FixedSubnet'
]
