"""The file formats of searched architectures, as plain data.

DARTS genotypes, SPOS subnet files (ours and MMRazor 0.x's), the files a
search leaves in its work dir (best subnet, top-k table, candidates table,
Pareto front) and the architecture a checkpoint records in its ``meta``.
Nothing here changes a model: fixing a supernet into a subnet and slicing
its weights is :mod:`mmrazor_lite.subnet`.
"""
from .architecture_meta import (ArchitectureMismatchError, architecture_meta,
                                check_architecture)
from .genotype import GENOTYPES, Genotype, dump_genotype, load_genotype
from .mmrazor_legacy import (convert_mmrazor_legacy_subnet,
                             load_mmrazor_legacy_subnet)
from .pareto_front_file import (FRONT_BN_FILE, FRONT_FILE, ParetoFrontError,
                                load_pareto_front, write_pareto_front)
from .search_result import (CANDIDATES_FILE, SUBNET_FILE, TOP_K_FILE,
                            WEIGHTS_FILE, write_search_result)
from .subnet_file import SubnetFileError, dump_subnet_file, load_subnet_file

__all__ = [
    'ArchitectureMismatchError', 'architecture_meta', 'check_architecture',
    'GENOTYPES', 'Genotype', 'dump_genotype', 'load_genotype',
    'convert_mmrazor_legacy_subnet', 'load_mmrazor_legacy_subnet',
    'FRONT_BN_FILE', 'FRONT_FILE', 'ParetoFrontError', 'load_pareto_front',
    'write_pareto_front', 'CANDIDATES_FILE', 'SUBNET_FILE', 'TOP_K_FILE',
    'WEIGHTS_FILE', 'write_search_result', 'SubnetFileError',
    'dump_subnet_file', 'load_subnet_file'
]
