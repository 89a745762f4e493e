"""Smoke tests of ``pcdarts_search_step.py --fuse-compare`` and
``investigations/pcdarts_cpu_layouts.py`` (tiny batch).

Timings are never asserted (machines vary); only that both paths ran, in
their own processes for memory, and the report is complete.
"""
import json
import os.path as osp
import sys

from helpers.paths import REPO
from helpers.tools import run_tool

SCRIPT = osp.join(REPO, 'tools', 'benchmarks', 'pcdarts_search_step.py')


def test_fuse_compare_json():
    proc = run_tool([
        sys.executable, SCRIPT, '--fuse-compare', '--batch', '2', '--steps',
        '1', '--warmup', '0', '--json'
    ],
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result['k'], result['batch']) == (4, 2)
    assert result['mem_kind'] == 'rss'
    for path in ('fused', 'unfused'):
        for key in ('weight_step_s', 'arch_step_s', 'peak_mem_gib'):
            assert result[f'{path}_{key}'] > 0, (path, key)
        assert result[f'{path}_step_mem_gib'] >= 0
    for key in ('weight_step_ratio', 'arch_step_ratio'):
        assert result[key] > 0, key


def test_no_fuse_and_cuda_only_variants():
    proc = run_tool([
        sys.executable, SCRIPT, '--no-fuse', '--batch', '2', '--steps', '1',
        '--warmup', '0', '--json'
    ],
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(
        proc.stdout.strip().splitlines()[-1])['fuse_edges'] is False
    # refused with the reason, not a crash, on CPU
    proc = run_tool([sys.executable, SCRIPT, '--compile'], timeout=120)
    assert proc.returncode == 2
    assert '--compile is measured on --device cuda only' in proc.stderr


LAYOUTS = osp.join(REPO, 'tools', 'benchmarks', 'investigations',
                   'pcdarts_cpu_layouts.py')


def test_cpu_layouts_benchmark_reports_every_op():
    proc = run_tool(
        [sys.executable, LAYOUTS, '--batch', '2', '--repeats', '1', '--json'],
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    variants = dict(
        depthwise=('nchw', 'channels_last'),
        dilated=('dilated', 'polyphase'),
        pointwise=('grouped_nchw', 'grouped_channels_last', 'matmul'),
        pool=('nchw', 'channels_last'),
        batch_norm=('nchw', 'channels_last'))
    for name, keys in variants.items():
        assert len(result[name]) >= 3, name
        for row in result[name]:
            for key in keys:
                assert row[key] > 0, (name, key)
    for row in result['pointwise']:  # each weight gradient checked
        for key in variants['pointwise']:
            assert 0 <= row[f'{key}_weight_grad_error'] < 1e-4
