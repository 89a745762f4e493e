"""Fixtures the tests share, and the order the two workers take files in.

Helpers that tests import by name live in ``tests/helpers/``.
"""
import os
import os.path as osp

import pytest

from helpers.fake_data import make_fake_imagenet
from helpers.search_pipeline import run, tiny_config

if os.environ.get('PYTEST_XDIST_WORKER'):
    # pytest.ini runs one worker per core: one thread each, or the two
    # workers' intra-op threads would fight over the same two cores
    import torch
    torch.set_num_threads(1)


@pytest.fixture(scope='session')
def fake_imagenet(tmp_path_factory):
    """Tiny ImageNet, ann-file layout: 3 classes x 4 JPEGs per split."""
    return make_fake_imagenet(
        str(tmp_path_factory.mktemp('imagenet')), layout='ann')


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread for a module's tests: tiny convs ran ~100x
    slower with 2 threads than with 1 on the small CI machine."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def supernet_ckpt(tmp_path_factory):
    """5 training steps of the tiny digits supernet of
    :func:`helpers.search_pipeline.tiny_config`, once per test module."""
    work_dir = tmp_path_factory.mktemp('supernet')
    run(tiny_config(work_dir))
    ckpt = osp.join(work_dir, 'iter_5.pth')
    assert osp.isfile(ckpt)
    return ckpt


#: test files that spawn training processes, slowest first: collected
#: first, so the two workers start on them and finish together
SLOW_FILES = ('test_spos_pipeline.py', 'test_demo.py',
              'test_trained_checkpoint.py', 'test_dist_train.py',
              'test_darts_search_pipeline.py', 'test_darts_eval_pipeline.py',
              'test_evolution_search.py', 'test_pareto_search.py',
              'test_score_predictor.py', 'test_checkpoint_kill_safety.py',
              'test_kill_resume.py')


def pytest_collection_modifyitems(config, items):

    def rank(item):
        name = osp.basename(str(item.fspath))
        return SLOW_FILES.index(name) if name in SLOW_FILES else \
            len(SLOW_FILES)

    items.sort(key=rank)  # stable: the order within a file is kept
