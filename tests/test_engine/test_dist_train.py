"""tools/dist_train.sh and dist_test.sh with 2 gloo processes on CPU."""
import glob
import json
import os.path as osp

from helpers.paths import REPO, SUPERNET_CONFIG
from helpers.tools import free_port, run_tool, shrink_options


def _recorded(work_dir, rank):
    with open(osp.join(work_dir, f'paths_rank{rank}.jsonl')) as f:
        return [json.loads(line) for line in f]


def _write_config(tmp_path):
    cfg = tmp_path / 'supernet_with_recorder.py'
    cfg.write_text(f'_base_ = [{SUPERNET_CONFIG!r}]\n'
                   "custom_imports = dict(imports=['path_recorder_hook'])\n"
                   "custom_hooks = [dict(type='PathRecorderHook')]\n")
    return str(cfg)


def test_two_process_supernet_training_then_resume(tmp_path, fake_imagenet):
    config = _write_config(tmp_path)
    work_dir = str(tmp_path / 'work')
    train = [
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir,
        '--cfg-options'
    ]
    proc = run_tool(
        train + shrink_options(fake_imagenet, iters=4),
        env_extra=dict(PORT=free_port()))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    ranks = [_recorded(work_dir, r) for r in (0, 1)]
    assert [r['iter'] for r in ranks[0]] == [0, 1, 2, 3]
    # the same path on both ranks at every step, and a new one each step
    assert [r['choices'] for r in ranks[0]] == \
        [r['choices'] for r in ranks[1]]
    assert len({json.dumps(r['choices']) for r in ranks[0]}) == 4
    assert all(0 < r['loss'] < 100 for rank in ranks for r in rank)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))

    # resume from iteration 2 and run to 6: the path sequence continues
    # exactly where the first run had it (same seed and step counter)
    resume = train[:6] + [
        '--resume',
        osp.join(work_dir, 'iter_2.pth'), '--cfg-options'
    ]
    proc = run_tool(
        resume + shrink_options(fake_imagenet, iters=6),
        env_extra=dict(PORT=free_port()))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in logs
    after = _recorded(work_dir, 0)[4:]
    assert [r['iter'] for r in after] == [2, 3, 4, 5]
    assert [r['choices'] for r in after[:2]] == \
        [r['choices'] for r in ranks[0][2:]]
    assert osp.isfile(osp.join(work_dir, 'iter_6.pth'))

    # dist_test.sh with the checkpoint reports accuracy
    proc = run_tool(
        [
            'bash', 'tools/dist_test.sh', SUPERNET_CONFIG,
            osp.join(work_dir, 'iter_6.pth'), '2', '--work-dir',
            str(tmp_path / 'test'), '--cfg-options'
        ] + shrink_options(fake_imagenet),
        env_extra=dict(PORT=free_port()))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'accuracy/top1' in proc.stdout + proc.stderr


def test_missing_data_root_is_a_clear_error(tmp_path):
    from helpers.tools import run_tool_in_process
    proc = run_tool_in_process(
        'tools/train.py',
        [SUPERNET_CONFIG, '--work-dir',
         str(tmp_path), '--cfg-options'] +
        shrink_options(str(tmp_path / 'no_imagenet_here')))
    assert proc.returncode != 0
    assert 'no_imagenet_here' in proc.stderr
    assert 'expected one of two layouts' in proc.stderr
    assert not glob.glob(osp.join(REPO, 'data', 'imagenet', '*'))
