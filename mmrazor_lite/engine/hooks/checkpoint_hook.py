"""mmengine's ``CheckpointHook``, ordered so that a kill never loses a run.

mmengine 0.10 removes the oldest kept checkpoint (``max_keep_ckpts``) and the
previous best one *before* saving the new one, and writes
``last_checkpoint`` with a plain ``open``. A run killed in between is left
with no checkpoint at all (``max_keep_ckpts=1``) or with a
``last_checkpoint`` that is empty or names a deleted file. Here the new
checkpoint is saved first (atomically, see ``fileio.checkpoint_io``), then
``last_checkpoint`` is replaced atomically, and only then are outdated
checkpoints removed. Everything else is mmengine's hook unchanged.

Registered as ``CheckpointHook`` in our scope, so every config's
``default_hooks.checkpoint`` gets it.
"""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmrazor_lite.fileio import atomic_write_text
from mmrazor_lite.registry import HOOKS


class _DeferredRemovals:
    """A file backend whose ``remove`` and ``rmtree`` are held back.

    The paths are collected in ``pending`` for the caller to remove later;
    every other attribute is the wrapped backend's.
    """

    def __init__(self, backend):
        self._backend = backend
        self.pending = []

    def remove(self, path):
        self.pending.append(path)

    def rmtree(self, path):
        self.pending.append(path)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module(name='CheckpointHook')
@HOOKS.register_module()
class KillSafeCheckpointHook(CheckpointHook):
    """A ``CheckpointHook`` that removes old checkpoints only after a save.

    See the module docstring for the order of the writes. Its arguments
    are those of mmengine's :class:`~mmengine.hooks.CheckpointHook`,
    unchanged.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        outdated = []
        # the message hub's keep list is updated before the save, as
        # mmengine does, so the new checkpoint resumes with the right list
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write_text(self.last_ckpt,
                          osp.join(runner.work_dir, 'last_checkpoint'))
        for old_step in outdated:
            self._remove(
                self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # mmengine removes the previous best before saving the new best;
        # its removals are held back until the new one is on disk
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        # one best path or one per metric, whichever mmengine set up
        current = {
            self.last_ckpt,
            getattr(self, 'best_ckpt_path', None),
            *getattr(self, 'best_ckpt_path_dict', {}).values()
        }
        for path in deferred.pending:
            if path not in current:  # never the file just saved
                self._remove(path)

    def _remove(self, path) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            # checkpoints saved by deepspeed are directories
            self.file_backend.rmtree(path)
