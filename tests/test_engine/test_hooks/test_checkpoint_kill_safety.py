"""A run killed while it saves keeps a checkpoint it can resume from:
old checkpoints go only after the new one is complete, last_checkpoint is
replaced atomically, --resume falls back to the newest complete checkpoint
and stale temporary files are swept at start (issue 13, defect 5)."""
import contextlib
import itertools
import logging
import os
import os.path as osp
import shutil
import signal
import sys

import pytest

from helpers.paths import REPO
from helpers.tools import run_tool, run_tool_in_process

DEMO = osp.join(REPO, 'configs', 'demo',
                'spos_supernet_shufflenetv2_digits.py')
# the demo supernet, shrunk to seconds: 6 iterations, a checkpoint every 2
TINY = [
    'model.architecture.backbone.widen_factor=0.25',
    'model.architecture.backbone.stage_blocks=(1,1,2,1)',
    'model.architecture.backbone.last_channels=64',
    'model.architecture.head.in_channels=64',
    'train_dataloader.dataset.image_size=16',
    'val_dataloader.dataset.image_size=16', 'train_dataloader.batch_size=8',
    'train_cfg.val_interval=100', 'param_scheduler.0.end=6',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'randomness.seed=0'
]

# SIGKILLs the process in the n-th atomic write of a file, after its
# temporary file is fully written and before it is renamed: the worst moment
KILLING_TRAIN = r'''
import os, signal, sys, runpy
name, nth = os.environ['KILL_AT'], int(os.environ['KILL_ON'])
seen, real_fsync = [], os.fsync
def fsync(fd):
    base = os.path.basename(os.readlink(f'/proc/self/fd/{fd}'))
    if base.startswith(f'.{name}.') and base.endswith('.tmp'):
        seen.append(base)
        if len(seen) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)
os.fsync = fsync
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def _train(work_dir, iters, *extra):
    return [
        DEMO, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *TINY,
        f'train_cfg.max_iters={iters}'
    ]


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


_ids = itertools.count()


@contextlib.contextmanager
def _warnings_logged():
    """The warnings ``print_log(logger='current')`` gives meanwhile."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance(f'kill_safety_{next(_ids)}')  # current
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def test_configs_get_the_kill_safe_checkpoint_hook():
    from mmengine.registry import HOOKS as MMENGINE_HOOKS
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.engine.hooks.checkpoint_hook import \
        KillSafeCheckpointHook
    init_default_scope('mmrazor_lite')
    # as the Runner builds default_hooks.checkpoint
    hook = MMENGINE_HOOKS.build(dict(type='CheckpointHook', interval=1))
    assert type(hook) is KillSafeCheckpointHook


@pytest.mark.parametrize('kill_at,kill_on', [('iter_4.pth', 1),
                                             ('last_checkpoint', 2)])
def test_sigkill_during_a_save_keeps_a_resumable_checkpoint(
        tmp_path, kill_at, kill_on):
    work_dir = tmp_path / 'work'
    # max_keep_ckpts=1 as in the demo configs: mmengine removed iter_2.pth
    # before writing iter_4.pth, so a kill there left no checkpoint at all
    proc = run_tool(
        [sys.executable, '-c', KILLING_TRAIN, 'tools/train.py'] +
        _train(work_dir, 6),
        env_extra=dict(KILL_AT=kill_at, KILL_ON=str(kill_on)))
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert osp.isfile(work_dir / 'iter_2.pth')
    assert _last_checkpoint(work_dir) == str(work_dir / 'iter_2.pth')
    leftovers = [n for n in os.listdir(work_dir) if n.endswith('.tmp')]
    assert len(leftovers) == 1 and leftovers[0].startswith(f'.{kill_at}.')

    out = _ok(
        run_tool_in_process('tools/train.py', _train(work_dir, 6, '--resume')))
    assert 'resumed epoch: 0, iter: 2' in out
    assert f'removed {work_dir / leftovers[0]}' in out
    # the resumed run kept max_keep_ckpts=1 and left nothing stray behind
    names = sorted(
        n for n in os.listdir(work_dir)
        if not osp.isdir(work_dir / n) and not n.endswith('.py'))
    assert names == ['iter_6.pth', 'last_checkpoint']
    assert _last_checkpoint(work_dir) == str(work_dir / 'iter_6.pth')


@pytest.fixture(scope='module')
def two_checkpoints(tmp_path_factory):
    """A work dir holding iter_2.pth and iter_4.pth (max_keep_ckpts=2)."""
    work_dir = tmp_path_factory.mktemp('two_checkpoints')
    _ok(
        run_tool_in_process(
            'tools/train.py',
            _train(work_dir, 4) +
            ['default_hooks.checkpoint.max_keep_ckpts=2']))
    assert osp.isfile(work_dir / 'iter_2.pth')
    return work_dir


def _spoil_last_checkpoint(work_dir, how):
    """Make last_checkpoint useless; return what the warning must say."""
    save_file = work_dir / 'last_checkpoint'
    if how == 'empty':
        save_file.write_text('')
        return 'is empty'
    if how == 'missing':
        save_file.write_text(str(work_dir / 'iter_8.pth'))
        return f'names {work_dir / "iter_8.pth"}, which does not exist'
    data = (work_dir / 'iter_4.pth').read_bytes()
    (work_dir / 'iter_6.pth').write_bytes(data[:len(data) // 2])
    save_file.write_text(str(work_dir / 'iter_6.pth'))
    return 'which is not a complete checkpoint'


@pytest.mark.parametrize('how', ['empty', 'missing', 'truncated'])
def test_resume_falls_back_to_the_newest_complete_checkpoint(
        tmp_path, two_checkpoints, how):
    from mmrazor_lite.apis import build_config
    work_dir = tmp_path / 'work'
    shutil.copytree(two_checkpoints, work_dir)
    problem = _spoil_last_checkpoint(work_dir, how)

    with _warnings_logged() as warnings:
        cfg = build_config(DEMO, str(work_dir), resume='auto')
    assert cfg.resume and cfg.load_from == str(work_dir / 'iter_4.pth')
    assert len(warnings) == 1 and problem in warnings[0], warnings
    assert f'resuming from the newest complete checkpoint ' \
        f'{work_dir / "iter_4.pth"} instead' in warnings[0]
    if how == 'truncated':
        assert f'skipped incomplete {work_dir / "iter_6.pth"}' in warnings[0]

    # and the real tool resumes there and finishes
    out = _ok(
        run_tool_in_process('tools/train.py', _train(work_dir, 6, '--resume')))
    assert 'resumed epoch: 0, iter: 4' in out
    assert _last_checkpoint(work_dir) == str(work_dir / 'iter_6.pth')


def test_resume_with_nothing_complete_starts_afresh(tmp_path):
    from mmrazor_lite.apis import build_config
    from mmrazor_lite.fileio import load_checkpoint_file
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    # a first save killed mid-write on a file system without atomic renames
    (work_dir / 'iter_2.pth').write_bytes(b'PK\x03\x04 cut short')
    (work_dir / 'last_checkpoint').write_text('')
    with _warnings_logged() as warnings:
        cfg = build_config(DEMO, str(work_dir), resume='auto')
    # mmengine would resume from '' and fail
    assert not cfg.resume and cfg.load_from is None
    assert len(warnings) == 1 and 'is empty' in warnings[0]
    assert f'(incomplete: {work_dir / "iter_2.pth"}): the run starts ' \
        f'afresh' in warnings[0]
    out = _ok(
        run_tool_in_process('tools/train.py', _train(work_dir, 2, '--resume')))
    assert 'resumed epoch' not in out
    assert load_checkpoint_file(work_dir / 'iter_2.pth')['meta']['iter'] == 2


def test_the_checkpoint_last_checkpoint_names_is_used_when_complete(
        tmp_path, two_checkpoints):
    from mmrazor_lite.apis import build_config
    work_dir = tmp_path / 'work'
    shutil.copytree(two_checkpoints, work_dir)
    # older than iter_4.pth, but complete: no fallback, no warning
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    with _warnings_logged() as warnings:
        cfg = build_config(DEMO, str(work_dir), resume='auto')
    assert cfg.resume and cfg.load_from == str(work_dir / 'iter_2.pth')
    assert warnings == []


def test_a_run_sweeps_only_stale_temporary_files_of_atomic_writes(tmp_path):
    from mmrazor_lite.apis import build_config, build_runner
    stale = ['.iter_4.pth.k3x_9a0b.tmp', '.last_checkpoint.abcdefgh.tmp']
    kept = [
        'iter_2.pth', 'notes.tmp', '.hidden.tmp', '.iter_4.pth.short.tmp',
        'iter_4.pth.k3x_9a0b.tmp', '.iter_4.pth.k3x_9a0b.tmp.bak'
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b'x')
    # a folder, and a stale-looking file below the work dir's top level
    (tmp_path / '.dir.abcdefgh.tmp').mkdir()
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / stale[0]).write_bytes(b'x')

    runner = build_runner(build_config(DEMO, str(tmp_path)))
    names = set(os.listdir(tmp_path))
    assert not names & set(stale)
    assert set(kept) | {'.dir.abcdefgh.tmp', 'sub'} <= names
    assert os.listdir(tmp_path / 'sub') == [stale[0]]
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        log = f.read()
    for name in stale:
        assert f'removed {tmp_path / name}, the temporary file' in log


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


class _Runner:
    """What CheckpointHook uses of a runner; saves real checkpoint files
    holding the message hub, and resumes from them as mmengine does."""

    def __init__(self, work_dir, resume_from=None):
        from mmengine.logging import MessageHub, MMLogger
        self.work_dir = str(work_dir)
        self.message_hub = MessageHub.get_instance(f'kill_safety_{next(_ids)}')
        self.logger = MMLogger.get_instance(f'kill_safety_{next(_ids)}')
        self.epoch = self.iter = 0
        self.kill_at = None
        if resume_from:
            from mmrazor_lite.fileio import load_checkpoint_file
            checkpoint = load_checkpoint_file(resume_from)
            self.message_hub.load_state_dict(checkpoint['message_hub'])
            self.epoch = checkpoint['meta']['epoch']

    def save_checkpoint(self, out_dir, filename, *args, meta, **kwargs):
        if filename == self.kill_at:
            raise _Killed(filename)
        from mmrazor_lite.fileio import atomic_torch_save
        atomic_torch_save(
            dict(
                meta=meta,
                state_dict={},
                message_hub=self.message_hub.state_dict()),
            osp.join(out_dir, filename))


def test_previous_best_checkpoint_is_removed_only_after_the_new_one(tmp_path):
    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.registry import HOOKS

    def start(runner):
        hook = HOOKS.build(
            dict(
                type='CheckpointHook',
                interval=1,
                max_keep_ckpts=1,
                save_best='accuracy'))
        hook.before_train(runner)
        return hook

    def epoch(runner, hook, accuracy):  # train an epoch, then validate it
        hook.after_train_epoch(runner)
        runner.epoch += 1
        hook.after_val_epoch(runner, dict(accuracy=accuracy))

    runner = _Runner(tmp_path)
    hook = start(runner)
    epoch(runner, hook, 0.5)
    assert osp.isfile(tmp_path / 'best_accuracy_epoch_1.pth')
    runner.kill_at = 'best_accuracy_epoch_2.pth'
    with pytest.raises(_Killed):
        epoch(runner, hook, 0.7)
    # mmengine had removed it before the kill
    assert osp.isfile(tmp_path / 'best_accuracy_epoch_1.pth')
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_2.pth')

    # resumed, the run removes the old best once it has saved a new one
    runner = _Runner(tmp_path, resume_from=str(tmp_path / 'epoch_2.pth'))
    hook = start(runner)
    epoch(runner, hook, 0.9)
    names = sorted(n for n in os.listdir(tmp_path) if n.endswith('.pth'))
    assert names == ['best_accuracy_epoch_3.pth', 'epoch_3.pth']
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_3.pth')
