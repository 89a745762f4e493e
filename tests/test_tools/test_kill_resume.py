"""The fault-injection harness, ``tests/fault_injection/kill_resume.py``:
one shrunk run of it, and its bit-for-bit comparison."""
import json

from helpers.tools import load_module, run_tool_in_process

TOOL = 'tests/fault_injection/kill_resume.py'


def _run(*args):
    """``kill_resume.py --json ARGS`` in this process."""
    proc = run_tool_in_process(TOOL, ['--json', *args])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_kill_resume_supernet_identical(tmp_path):
    # seed 24 kills as iter_2.pth appears (iter_1.pth not yet removed:
    # max_keep_ckpts=1), then mid-write once 3 iterations are saved
    result = _run('--pipelines', 'supernet', '--kills', '2', '--seed', '24',
                  '--iters', '4', '--work-dir', str(tmp_path))
    assert result['ok'], result
    (run, ) = result['pipelines']
    assert run['pipeline'] == 'supernet' and run['identical']
    assert run['kills'] >= 1 and run['kills_during_writes'] >= 1
    assert run['runs'] == run['kills'] + 1 == run['resumes'] + 1


def test_kill_resume_comparison_fails_on_any_difference(tmp_path):
    import torch
    tool = load_module(TOOL)
    diff = tool.tree_differences
    ref = {
        'w': torch.tensor([1.0, float('nan')]),
        'n': torch.tensor(3),
        'opt': {
            'lr': [0.1]
        }
    }
    assert diff(ref, {k: v for k, v in ref.items()}) == []  # nan == nan
    assert diff(ref,
                dict(ref,
                     w=torch.tensor([1.0 + 2**-20, float('nan')]))) == [
                         'w: tensors differ: 1 of 2 values differ, max abs '
                         'difference 9.54e-07'
                     ]
    assert diff(ref, dict(
        ref, n=torch.tensor(3.0))) == ['n: torch.int64[] vs torch.float32[]']
    assert diff(ref, dict(ref, opt={'lr': [0.1 + 1e-17,
                                           0.2]})) == ['opt.lr: 1 vs 2 items']
    assert diff({'z': torch.tensor(0.0)}, {'z': torch.tensor(-0.0)}) == [
        'z: tensors differ: 1 of 1 values differ, max abs difference 0'
    ]
    assert diff({'a': 1}, {'b': 1}) == [
        'a: only in the reference', 'b: only in the resumed run'
    ]
    # two final checkpoints whose weights differ in one value: not identical
    for name, value in (('reference', 0.5), ('interrupted', 0.25)):
        (tmp_path / name).mkdir()
        torch.save(
            dict(
                state_dict={'fc.weight': torch.tensor([value])},
                optimizer={},
                param_schedulers=[]), tmp_path / name / 'iter_2.pth')
    spec = tool.supernet_spec(2)
    assert tool.compare_supernet(
        str(tmp_path / 'reference'), str(tmp_path / 'interrupted'), spec) == [
            'iter_2.pth:state_dict.fc.weight: tensors differ: 1 of 1 values '
            'differ, max abs difference 0.25'
        ]
    bad = tool.Result(
        'supernet', runs=2, kills=1, identical=False, differences=['x'])
    assert not bad.ok and '| **no** |' in tool.table([bad])
