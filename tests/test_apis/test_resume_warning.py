"""The ``--resume`` fallback warning reaches the run's log file, not only
the console (issue 23, defect 4): it is given while the config is built,
before the Runner creates the log file, and written there once it exists."""
import glob
import logging
import os.path as osp

from helpers.paths import REPO
from helpers.tools import run_tool_in_process

DEMO = osp.join(REPO, 'configs', 'demo',
                'spos_supernet_shufflenetv2_digits.py')
# the demo supernet, shrunk to seconds: a checkpoint every 2 iterations
TINY = [
    'model.architecture.backbone.widen_factor=0.25',
    'model.architecture.backbone.stage_blocks=(1,1,2,1)',
    'model.architecture.backbone.last_channels=64',
    'model.architecture.head.in_channels=64',
    'train_dataloader.dataset.image_size=16',
    'val_dataloader.dataset.image_size=16', 'train_dataloader.batch_size=8',
    'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=2',
    'default_hooks.logger.interval=1', 'randomness.seed=0'
]


def _train(work_dir, iters, *extra):
    proc = run_tool_in_process('tools/train.py', [
        DEMO, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *TINY,
        f'param_scheduler.0.end={iters}', f'train_cfg.max_iters={iters}'
    ])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _logs(work_dir):
    """``{log file: its text}`` of every run in ``work_dir``."""
    found = {}
    for path in glob.glob(osp.join(str(work_dir), '*', '*.log')):
        with open(path, encoding='utf-8') as f:
            found[path] = f.read()
    return found


def test_the_fallback_warning_is_in_the_resumed_runs_log_file(tmp_path):
    from mmengine.logging import MMLogger
    _train(tmp_path, 4)  # iter_2.pth, iter_4.pth
    assert osp.isfile(tmp_path / 'iter_2.pth')
    # iter_4.pth cut short: last_checkpoint names an incomplete file
    data = (tmp_path / 'iter_4.pth').read_bytes()
    (tmp_path / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    before = set(_logs(tmp_path))

    # the console (the logger current while the config is built) gets it
    console = []
    logger = MMLogger.get_instance('resume_warning_console')  # current
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: console.append(record.getMessage())
    logger.addHandler(handler)
    try:
        _train(tmp_path, 6, '--resume')
    finally:
        logger.removeHandler(handler)
    warning = (f'--resume: {tmp_path / "last_checkpoint"} names '
               f'{tmp_path / "iter_4.pth"}, which is not a complete '
               f'checkpoint (cut short or not a torch.save zip); resuming '
               f'from the newest complete checkpoint '
               f'{tmp_path / "iter_2.pth"} instead; skipped incomplete '
               f'{tmp_path / "iter_4.pth"}.')
    assert [m for m in console if m.startswith('--resume')] == [warning]

    new = {p: t for p, t in _logs(tmp_path).items() if p not in before}
    assert len(new) == 1, sorted(new)
    (log, text), = new.items()
    assert 'resumed epoch: 0, iter: 2' in text  # the resumed run's log
    assert text.count(warning) == 1, text[:3000]
    line = next(x for x in text.splitlines() if warning in x)
    assert 'WARNING' in line  # at its level
