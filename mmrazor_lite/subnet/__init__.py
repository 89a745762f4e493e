"""Model surgery for SPOS subnets: fix every choice of a supernet into its
chosen op, build a subnet config's model, and slice or load its weights.
The file formats these read are in :mod:`mmrazor_lite.structures`."""
from .fix_model import check_subnet, fix_model, read_subnet_spec
from .fixed_subnet_model import FixedSubnet
from .subnet_weights import (load_subnet_state_dict, sliced_state_dict,
                             subnet_of_state_dict, unwrap_state_dict)

__all__ = [
    'check_subnet', 'fix_model', 'read_subnet_spec', 'FixedSubnet',
    'load_subnet_state_dict', 'sliced_state_dict', 'subnet_of_state_dict',
    'unwrap_state_dict'
]
