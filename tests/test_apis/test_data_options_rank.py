"""``--cfg-options data_root=DIR num_classes=N`` logs what it set on rank 0
only (issue 23, defect 6c): every process of a distributed run builds the
config, before the process group exists, so the launcher's RANK (or
SLURM_PROCID) says which process logs."""
import itertools
import logging
import os.path as osp

import pytest

from mmrazor_lite.apis import load_config
from mmrazor_lite.apis.data_options import is_first_process
from helpers.paths import REPO

DEMO = osp.join(REPO, 'configs', 'demo',
                'spos_supernet_shufflenetv2_digits.py')
_ids = itertools.count()


def _logged(data_root, **options):
    """What ``load_config`` logs (current logger) with ``options``."""
    from mmengine.logging import MMLogger

    # a new instance is the current one
    logger = MMLogger.get_instance(f'data_options_rank_{next(_ids)}')
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    try:
        load_config(DEMO, dict(data_root=str(data_root), **options))
    finally:
        logger.removeHandler(handler)
    return messages


@pytest.fixture
def no_rank(monkeypatch):
    for name in ('RANK', 'SLURM_PROCID'):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize('env,first', [({}, True), ({
    'RANK': '0'
}, True), ({
    'RANK': '1'
}, False), ({
    'SLURM_PROCID': '3'
}, False), ({
    'SLURM_PROCID': '0'
}, True), ({
    'RANK': '0',
    'SLURM_PROCID': '5'
}, True)])
def test_the_first_process_before_the_process_group_exists(
        no_rank, env, first):
    for name, value in env.items():
        no_rank.setenv(name, value)
    assert is_first_process() is first


def test_the_set_block_is_logged_on_rank_0_only(tmp_path, no_rank):
    no_rank.setenv('RANK', '0')
    messages = _logged(tmp_path, num_classes=10)
    blocks = [m for m in messages if ' set:\n' in m]
    assert len(blocks) == 1
    assert blocks[0].startswith(f'--cfg-options data_root={tmp_path} '
                                f'num_classes=10 set:\n  ')
    assert 'train_dataloader.dataset: ClassFolderDataset at' in blocks[0]

    no_rank.setenv('RANK', '1')  # the other process of two
    assert [m for m in _logged(tmp_path, num_classes=10)
            if ' set:\n' in m] == []


def test_the_missing_num_classes_warning_too(tmp_path, no_rank):
    no_rank.setenv('RANK', '0')
    assert any('without num_classes' in m for m in _logged(tmp_path))
    no_rank.setenv('RANK', '1')
    assert not any('without num_classes' in m for m in _logged(tmp_path))


def test_errors_are_raised_on_every_rank(tmp_path, no_rank):
    no_rank.setenv('RANK', '1')
    with pytest.raises(ValueError, match='num_classes=0'):
        load_config(DEMO, dict(data_root=str(tmp_path), num_classes=0))
