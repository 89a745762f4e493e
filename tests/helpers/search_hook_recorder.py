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
    """What a search running generations ``first + 1 .. last`` reports."""
    events = [('before_train', first)]
    for done in range(first, last):
        events += [('before_train_epoch', done),
                   ('after_train_epoch', done + 1)]
    return events + [('after_train', last)]
