"""Where the repository, the tests and their data are."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TESTS = osp.join(REPO, 'tests')
DATA = osp.join(TESTS, 'data')
HELPERS = osp.join(TESTS, 'helpers')
SUPERNET_CONFIG = osp.join(REPO, 'configs', 'nas', 'spos',
                           'spos_supernet_shufflenetv2_8xb128_in1k.py')
