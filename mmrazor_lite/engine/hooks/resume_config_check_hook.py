"""Warn when ``--resume`` continues a checkpoint saved under another config.

mmengine stores the run's config text in every checkpoint (``meta['cfg']``)
but does not compare it on resume: a work dir holding another run's
checkpoints (another model, schedule or data) is continued without a word.
A warning, not an error: raising ``train_cfg.max_iters`` (with the
schedule's end) to train longer is a legitimate resume.
"""
from mmengine.config import Config
from mmengine.hooks import Hook

from mmrazor_lite.engine.config_diff import ABSENT, describe, differences
from mmrazor_lite.registry import HOOKS

#: the config entries that make a run another run when they differ
COMPARED = ('model', 'data_preprocessor', 'train_cfg', 'optim_wrapper',
            'param_scheduler', 'train_dataloader.batch_size',
            'train_dataloader.dataset')


def _pick(cfg, dotted: str):
    node = cfg
    for key in dotted.split('.'):
        if not hasattr(node, 'get') or key not in node:
            return ABSENT
        node = node[key]
    return node


def config_differences(saved, now):
    """List the keys of :data:`COMPARED` whose values differ.

    Args:
        saved (Config): The config stored in the checkpoint.
        now (Config): The config of this run.

    Returns:
        List[Tuple[str, object, object]]: ``(key, saved value, value now)``
        for each differing key, see :func:`differences`.
    """
    return differences({k: _pick(saved, k)
                        for k in COMPARED},
                       {k: _pick(now, k)
                        for k in COMPARED})


@HOOKS.register_module()
class ResumeConfigCheckHook(Hook):
    """Warn on ``--resume`` when the checkpoint's config differs.

    The warning names each key of :data:`COMPARED` whose value in the
    checkpoint's config differs from the config now (saved vs now). Only a
    resume is checked: ``load_from`` (fine-tuning, a search's supernet)
    starts from weights trained under another config by design.
    ``build_config`` (``tools/train.py``, ``tools/test.py``) adds it to
    every run.
    """

    priority = 'VERY_LOW'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare the config saved in a resumed checkpoint with this one.

        Args:
            runner (Runner): The mmengine runner.
            checkpoint (dict): The loaded checkpoint, its config text in
                ``meta['cfg']``.
        """
        # mmengine's resume() loads through load_checkpoint; runner.cfg's
        # resume is what load_or_resume() went by
        if not runner.cfg.get('resume'):
            return
        meta = checkpoint.get('meta') or {}
        source = (f'resume: {runner.cfg.get("load_from") or "the checkpoint"}'
                  f' (experiment {meta.get("experiment_name")!r}, saved '
                  f'{meta.get("time")})')
        text = meta.get('cfg')
        if not isinstance(text, str):
            runner.logger.warning(f'{source} holds no config (meta.cfg): '
                                  f'whether it belongs to this run is not '
                                  f'checked')
            return
        try:
            saved = Config.fromstring(text, file_format='.py')
        except Exception as exc:  # noqa: BLE001  a check, not a load
            runner.logger.warning(f'{source}: its config could not be read '
                                  f'back ({type(exc).__name__}: {exc}); '
                                  f'whether it belongs to this run is not '
                                  f'checked')
            return
        found = config_differences(saved, runner.cfg)
        if found:
            runner.logger.warning(
                f'{source} was saved by a run whose config differs from '
                f'this one; the run goes on with this config:\n'
                f'{describe(found)}\nIf the work dir holds another run\'s '
                f'checkpoints, train in a new --work-dir instead of '
                f'resuming')
