"""docs/spos.md says how each shipped search config caches its batches
(``cache_data``), and the configs agree (issue 23, defect 6b: the doc said
every shipped search config used 'preprocessed'; the demo's SPOS searches
keep the loops' default, True, and log "kept on cpu, as loaded")."""
import ast
import glob
import inspect
import os.path as osp
import re

import pytest
from mmengine.config import Config

import mmrazor_lite  # noqa: F401  (registers the loops)
from mmrazor_lite.registry import LOOPS
from helpers.paths import REPO

DOC = osp.join(REPO, 'docs', 'spos.md')
ROW = re.compile(r'^\| `(configs/[^`]+)`[^|]* \| `([^`]+)` \|$')


def _documented():
    """``{glob pattern: cache_data}`` of the table in docs/spos.md."""
    with open(DOC, encoding='utf-8') as f:
        rows = [ROW.match(line.strip()) for line in f]
    return {m.group(1): ast.literal_eval(m.group(2)) for m in rows if m}


def _cache_data(config: str):
    """The ``cache_data`` the config's search loop runs with."""
    train_cfg = Config.fromfile(config).train_cfg
    if 'cache_data' in train_cfg:
        return train_cfg.cache_data
    loop = LOOPS.get(train_cfg.type)
    for cls in loop.__mro__:  # the loop's default
        params = inspect.signature(cls.__init__).parameters
        if 'cache_data' in params:
            return params['cache_data'].default
    raise AssertionError(f'{train_cfg.type} takes no cache_data')


def test_the_doc_has_a_row_for_every_shipped_search_config():
    documented = _documented()
    assert set(documented) == {
        'configs/nas/spos/*search*', 'configs/demo/spos_*search*'
    }, documented
    # every SPOS search config shipped (the PC-DARTS ones cache nothing)
    shipped = {
        osp.relpath(p, REPO)
        for p in glob.glob(
            osp.join(REPO, 'configs', '**', 'spos_*search*.py'),
            recursive=True) if '_base_' not in p
    }
    covered = {
        osp.relpath(p, REPO)
        for pattern in documented
        for p in glob.glob(osp.join(REPO, pattern + '.py'))
    }
    assert shipped <= covered, shipped - covered


@pytest.mark.parametrize(
    'pattern', ['configs/nas/spos/*search*', 'configs/demo/spos_*search*'])
def test_each_config_caches_as_the_doc_says(pattern):
    documented = _documented()
    assert pattern in documented, f'no row for {pattern} in {DOC}'
    configs = sorted(glob.glob(osp.join(REPO, pattern + '.py')))
    assert configs
    for config in configs:
        assert _cache_data(config) == documented[pattern], config
