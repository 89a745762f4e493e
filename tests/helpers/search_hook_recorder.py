"""Test-only hook: every rank appends the train hooks it gets, with the
epoch (generation) the runner reports at that moment."""
import json
import os.path as osp

from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS


@HOOKS.register_module(force=True)
class SearchHookRecorder(Hook):

    def _record(self, runner, event):
        path = osp.join(runner.work_dir, f'hooks_rank{runner.rank}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(dict(event=event, epoch=runner.epoch)) + '\n')

    def before_train(self, runner):
        self._record(runner, 'before_train')

    def before_train_epoch(self, runner):
        self._record(runner, 'before_train_epoch')

    def after_train_epoch(self, runner):
        self._record(runner, 'after_train_epoch')

    def after_train(self, runner):
        self._record(runner, 'after_train')


def read_events(work_dir, rank=0):
    with open(osp.join(work_dir, f'hooks_rank{rank}.jsonl')) as f:
        return [tuple(json.loads(line).values()) for line in f]


def expected_events(first, last):
    """What a search running generations ``first + 1 .. last`` reports: as
    in mmengine's loops, both epoch hooks see the 0-based index of the
    generation being run, and ``after_train`` the number run."""
    events = [('before_train', first)]
    for index in range(first, last):
        events += [('before_train_epoch', index), ('after_train_epoch', index)]
    return events + [('after_train', last)]
