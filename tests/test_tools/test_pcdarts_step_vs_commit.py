"""Smoke test of ``tools/benchmarks/pcdarts_step_vs_commit.py`` (tiny
batch): HEAD against HEAD, each in a temporary git worktree.

Timings are never asserted (machines vary); only that both workers ran,
each importing the code of its own checkout, and that the temporary
worktree is gone afterwards.
"""
import json
import os.path as osp
import subprocess
import sys

from helpers.paths import REPO
from helpers.tools import run_tool

SCRIPT = osp.join(REPO, 'tools', 'benchmarks', 'pcdarts_step_vs_commit.py')
TINY = ['--batch', '2', '--size', '8', '--steps', '1', '--warmup', '0']


def _worktrees():
    return subprocess.run(['git', 'worktree', 'list', '--porcelain'],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          check=True).stdout


def test_against_head_in_a_worktree():
    before = _worktrees()
    proc = run_tool([
        sys.executable, SCRIPT, '--baseline', 'HEAD', '--candidate', 'HEAD',
        *TINY, '--json'
    ],
                    timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result['baseline'].startswith('HEAD (')
    assert result['this'] == result['baseline']
    assert (result['k'], result['batch'], result['size']) == (4, 2, 8)
    for side in ('baseline', 'this'):
        for key in ('weight_step_s', 'arch_step_s', 'peak_mem_gib'):
            assert result[f'{side}_{key}'] > 0, (side, key)
    assert result['weight_speedup'] > 0 and result['arch_speedup'] > 0
    assert _worktrees() == before  # the temporary checkouts are removed


def test_a_directory_without_the_package_is_refused(tmp_path):
    proc = run_tool(
        [sys.executable, SCRIPT, '--baseline-dir',
         str(tmp_path), *TINY],
        timeout=300)
    assert proc.returncode != 0
    assert f'not from {tmp_path}' in proc.stderr
    assert f'the worker on {tmp_path} exited' in proc.stderr
