"""on_every_rank: a check that fails on one rank stops every rank (two gloo
processes), instead of leaving the others in their next collective."""
import os
import subprocess
import sys

from helpers.paths import REPO
from helpers.tools import free_port

WORKER = """
import os, sys
import torch.distributed as dist
from mmrazor_lite.engine.search.rank_agreement import on_every_rank
rank = int(os.environ['RANK'])
dist.init_process_group('gloo', rank=rank, world_size=2)

def check():
    if rank == 1:
        raise FileNotFoundError('only rank 1 misses the file')
    return 'ok'

try:
    on_every_rank(check)
except Exception as exc:
    print(f'rank {rank} raised {type(exc).__name__}: {exc}')
    sys.exit(3)
# a rank that went on would wait here for the other: the hang to avoid
dist.barrier()
print(f'rank {rank} went on')
"""


def test_a_failure_on_one_rank_stops_both():
    env = dict(
        os.environ,
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=free_port(),
        PYTHONPATH=REPO,
        OMP_NUM_THREADS='1')
    procs = [
        subprocess.Popen([sys.executable, '-c', WORKER],
                         cwd=REPO,
                         env=dict(env, RANK=str(rank)),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in (0, 1)
    ]
    try:
        outputs = [proc.communicate(timeout=90)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert [proc.returncode for proc in procs] == [3, 3], outputs
    assert 'rank 0 raised RuntimeError: rank 1 stopped with ' \
        'FileNotFoundError: only rank 1 misses the file' in outputs[0]
    assert 'rank 1 raised FileNotFoundError: only rank 1 misses the file' \
        in outputs[1]


def test_without_a_process_group_it_is_the_call():
    import pytest

    from mmrazor_lite.engine.search.rank_agreement import on_every_rank
    assert on_every_rank(lambda x: x + 1, 1) == 2
    with pytest.raises(KeyError, match='missing'):
        on_every_rank(lambda: {}['missing'])
