"""Smoke tests of the benchmark scripts: they run and report sane values.

Timings are never asserted (machines vary); only that the output is there.
"""
import json
import os.path as osp
import sys

from helpers.paths import REPO
from helpers.tools import load_module, run_tool, run_tool_in_process


def test_pcdarts_search_step_json():
    script = osp.join(REPO, 'tools', 'benchmarks', 'pcdarts_search_step.py')
    proc = run_tool([
        sys.executable, script, '--k', '4', '--batch', '2', '--steps', '1',
        '--warmup', '0', '--json'
    ],
                    env_extra={'OMP_NUM_THREADS': '1'},
                    timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result['k'], result['batch'], result['size']) == (4, 2, 32)
    assert result['device'] == 'cpu' and result['mem_kind'] == 'rss'
    assert result['torch'] and result['device_name']
    assert result['threads'] >= 1 and result['params'] > 0
    for key in ('weight_step_s', 'arch_step_s', 'full_step_s', 'peak_mem_gib',
                'baseline_mem_gib'):
        assert result[key] > 0, key
    assert result['peak_mem_gib'] >= result['baseline_mem_gib']
    for key in ('step_mem_gib', 'weight_step_mem_gib', 'arch_step_mem_gib',
                'full_step_mem_gib'):
        assert result[key] >= 0, key


def _run(name, *args):
    """``name --json ARGS`` in this process (test_pcdarts_search_step_json
    starts a real one): the scripts import their sibling report module."""
    load_module('tools/benchmarks/benchmark_report.py')
    proc = run_tool_in_process(f'tools/benchmarks/{name}', ['--json', *args])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_supernet_overhead_json():
    result = _run('supernet_overhead.py', '--batch', '2', '--size', '32',
                  '--steps', '2', '--warmup', '1')
    assert (result['batch'], result['size']) == (2, 32)
    for key in ('supernet_step_s', 'subnet_step_s', 'supernet_img_per_s'):
        assert result[key] > 0, key
    # the ratio of the unrounded medians
    assert abs(result['supernet_over_subnet'] - result['supernet_step_s'] /
               result['subnet_step_s']) < 0.01 * result['supernet_over_subnet']


def test_search_candidate_cost_json():
    result = _run('search_candidate_cost.py', '--val-images', '4',
                  '--calib-images', '4', '--batch', '2', '--candidates', '1')
    assert result['constraint_check_ms'] > 0
    assert result['table_build_s'] > 0
    assert result['scoring_s'] > 0 and result['pure_s'] > 0


def test_search_candidate_cost_through_the_evaluator():
    result = _run('search_candidate_cost.py', '--val-images', '4',
                  '--calib-images', '4', '--batch', '2', '--candidates', '1',
                  '--evaluator')
    assert result['accuracy'] == 'evaluator' and result['scoring_s'] > 0


def test_search_candidate_cost_variants_run():
    result = _run('search_candidate_cost.py', '--val-images', '4',
                  '--calib-images', '4', '--batch', '2', '--candidates', '1',
                  '--repeats', '1', '--amp', '--channels-last')
    assert result['amp'] and result['channels_last']
    assert result['scoring_s'] > 0 and result['pure_s'] > 0


def test_accuracy_bookkeeping_json():
    # the script itself exits non-zero when the two ways disagree
    result = _run('accuracy_bookkeeping.py', '--images', '300', '--batch',
                  '128', '--classes', '20', '--repeats', '1')
    assert (result['images'], result['classes']) == (300, 20)
    for key in ('evaluator_s', 'device_s', 'evaluator_ms_per_1000',
                'device_ms_per_1000', 'speedup'):
        assert result[key] > 0, key


def test_run_all_table_marks_targets():
    table = load_module('tools/benchmarks/run_all.py').table
    text = table([('a', '1.0', '<= 2', True), ('b', '3.0', '< 1', False),
                  ('c', 'x', '', None)])
    lines = text.splitlines()
    assert lines[0].startswith('| measure |') and len(lines) == 5
    assert lines[2].endswith('| yes |') and '**no**' in lines[3]
    assert lines[4].endswith('|  |')


def test_run_all_variants_run_on_cuda_and_are_skipped_on_cpu(monkeypatch):
    run_all = load_module('tools/benchmarks/run_all.py')
    calls = []
    monkeypatch.setattr(
        run_all, 'run_json', lambda script, *args: (calls.append(
            (script, args)) or {
                'script': script
            }))
    assert run_all.scoring_variants('cpu', ['--device', 'cpu']) == {
        name: None
        for name in run_all.SCORING_VARIANTS
    }
    assert run_all.pcdarts_variants('cpu', ['--device', 'cpu'], []) == {
        name: None
        for name in run_all.PCDARTS_VARIANTS
    }
    assert calls == []
    run_all.scoring_variants('cuda', ['--device', 'cuda'])
    assert calls == [('search_candidate_cost.py', ('--device', 'cuda', flag))
                     for flag in ('--amp', '--channels-last')]
