"""Test-only hook: every rank appends its DARTS architecture parameters
after each step and its genotype after each epoch."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor_lite.registry import HOOKS


@HOOKS.register_module()
class ArchRecorderHook(Hook):

    def _write(self, runner, record):
        path = osp.join(runner.work_dir, f'arch_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    def _mutator(self, runner):
        model = runner.model
        return (model.module if is_model_wrapper(model) else model).mutator

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        params = {
            k: v.detach().cpu().flatten().tolist()
            for k, v in self._mutator(runner).arch_params().items()
        }
        self._write(runner, dict(iter=runner.iter, params=params))

    def after_train_epoch(self, runner):
        genotype = self._mutator(runner).genotype().to_dict()
        self._write(runner, dict(epoch=runner.epoch, genotype=genotype))
