"""Smoke tests of the benchmark scripts: they run and report sane values.

Timings are never asserted (machines vary); only that the output is there.
"""
import json
import os.path as osp
import sys

from conftest import REPO, run_tool


def test_pcdarts_search_step_json():
    script = osp.join(REPO, 'tools', 'benchmarks', 'pcdarts_search_step.py')
    proc = run_tool([sys.executable, script, '--k', '4', '--batch', '2',
                     '--steps', '1', '--warmup', '0', '--json'],
                    env_extra={'OMP_NUM_THREADS': '1'}, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result['k'], result['batch'], result['size']) == (4, 2, 32)
    assert result['device'] == 'cpu' and result['mem_kind'] == 'rss'
    assert result['torch'] and result['device_name']
    assert result['threads'] >= 1 and result['params'] > 0
    for key in ('weight_step_s', 'arch_step_s', 'full_step_s',
                'peak_mem_gib', 'baseline_mem_gib'):
        assert result[key] > 0, key
    assert result['peak_mem_gib'] >= result['baseline_mem_gib']
    for key in ('step_mem_gib', 'weight_step_mem_gib', 'arch_step_mem_gib',
                'full_step_mem_gib'):
        assert result[key] >= 0, key
