"""Test-only hook: every rank appends its active SPOS path after each step."""
import json
import os.path as osp

from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS


@HOOKS.register_module()
class PathRecorderHook(Hook):

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        model = getattr(runner.model, 'module', runner.model)
        record = dict(
            iter=runner.iter,
            choices=model.mutator.current_choices(),
            loss=float(outputs['loss']))
        path = osp.join(runner.work_dir, f'paths_rank{runner.rank}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')
