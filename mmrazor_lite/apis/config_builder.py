"""Build a run's config as ``tools/train.py`` / ``tools/test.py`` do."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from mmrazor_lite.engine.hooks.deferred_log_hook import defer_to_run_log
from mmrazor_lite.fileio.latest_checkpoint import find_resumable_checkpoint
from mmrazor_lite.registry import LOOPS
from .cfg_options_check import check_cfg_options
from .data_options import apply_data_options
from .loop_dataloaders import follow_config_dataloaders
from .run_length import (follow_run_length, training_length,
                         warn_run_length_disagreements)


def enable_amp(cfg: Config) -> None:
    """Turn every optim wrapper of ``cfg`` into an ``AmpOptimWrapper``.

    DARTS has one per part (weights and architecture), both are switched.
    """
    optim_wrapper = cfg.optim_wrapper
    if optim_wrapper.get('constructor') == 'SeparateOptimWrapperConstructor':
        parts = {
            f'optim_wrapper.{name}': part
            for name, part in optim_wrapper.items() if name != 'constructor'
        }
    else:
        parts = {'optim_wrapper': optim_wrapper}
    for key, part in parts.items():
        if part.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(
                f'--amp needs {key}.type OptimWrapper, the config has '
                f'{part.type!r}')
        part.type = 'AmpOptimWrapper'
        part.setdefault('loss_scale', 'dynamic')


def _resumes_own_state(cfg: Config) -> bool:
    """Whether ``cfg``'s train loop keeps a resumable state of its own."""
    loop_type = (cfg.get('train_cfg') or {}).get('type')
    if not isinstance(loop_type, str):
        return False
    loop_cls = LOOPS.get(loop_type)
    return bool(getattr(loop_cls, 'resumes_own_state', False))


def _apply_resume(cfg: Config, resume: Optional[str]) -> None:
    """``resume``: None, ``'auto'`` (latest in the work dir) or a file.

    A training run hands it to mmengine (``resume`` / ``load_from``). A
    search loop restores its own state (``train_cfg.resume_from``) and keeps
    ``load_from`` as the supernet whose weights it searches, so mmengine's
    resume, which expects an optimizer and counters, stays off; a config's
    own ``resume = True`` means ``'auto'`` there.
    """
    if resume is None and cfg.get('resume') is True:
        resume = 'auto'  # a config's own resume = True means --resume
    if _resumes_own_state(cfg):
        if resume is not None:
            cfg.train_cfg.resume_from = resume
        cfg.resume = False
    elif resume is None:
        return
    elif resume == 'auto':
        # not mmengine's blind read of last_checkpoint: a complete one
        notes = []
        latest = find_resumable_checkpoint(cfg.work_dir, notes)
        # printed; the run's log file gets them when the Runner made it
        defer_to_run_log(cfg.work_dir, notes)
        if notes:
            add_default_hook(cfg, 'DeferredLogHook')
        # nothing to resume: a fresh start that keeps the config's
        # load_from (mmengine would drop it and train from scratch)
        cfg.resume = latest is not None
        if latest is not None:
            cfg.load_from = latest
    else:
        cfg.resume = True
        cfg.load_from = resume


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """``config`` with ``--cfg-options`` checked and applied, as every tool
    reads it (``data_root=`` / ``num_classes=`` included; a new
    ``train_cfg.max_iters`` / ``max_epochs`` moves the keys tied to the
    run's length, ``apis/run_length.py``)."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file {config!r} does not exist')
    cfg = Config.fromfile(config)
    cfg_options = apply_data_options(cfg, cfg_options)  # data_root= ...
    if cfg_options:
        check_cfg_options(cfg, cfg_options, config)
        length = training_length(cfg)  # the config's own, before merging
        cfg.merge_from_dict(cfg_options)
        follow_run_length(cfg, length, cfg_options)  # schedulers, intervals
    return cfg


def build_config(config: str,
                 work_dir: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 launcher: str = 'none',
                 resume: Optional[str] = None,
                 amp: bool = False,
                 auto_scale_lr: bool = False) -> Config:
    """The config of a run, with the command line's overrides applied.

    Args:
        config: the config file.
        work_dir: overrides ``cfg.work_dir``; default
            ``./work_dirs/<config name>``.
        cfg_options: ``--cfg-options`` (``key.sub -> value``).
        launcher: ``none``, ``pytorch`` or ``slurm``.
        resume: ``None``, ``'auto'`` or a checkpoint / search state path.
        amp: mixed precision on every optim wrapper.
        auto_scale_lr: scale the lr by the real batch size.
    """
    cfg = load_config(config, cfg_options)
    warn_run_length_disagreements(cfg, config)  # schedule ends at the run's?
    follow_config_dataloaders(cfg, config)  # search loops' loaders, unless set
    cfg.launcher = launcher
    if work_dir:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    if amp:
        enable_amp(cfg)
    _apply_resume(cfg, resume)
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'--auto-scale-lr needs an auto_scale_lr entry '
                           f'(base_batch_size) in {config}')
        cfg.auto_scale_lr.enable = True
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='NASDistributedDataParallel'))
    add_default_hook(cfg, 'SubnetMetaHook')  # architecture in checkpoints
    add_default_hook(cfg, 'ClassCountCheckHook')  # head fits the dataset
    add_default_hook(cfg, 'ResumeConfigCheckHook')  # --resume: same config?
    add_default_hook(cfg, 'RunLengthCheckHook')  # batch and epochs: recipe's?
    add_default_hook(cfg, 'WorkDirClaimHook')  # DARTS eval: not over another
    return cfg


def add_default_hook(cfg: Config, hook_type: str) -> None:
    """Append ``dict(type=hook_type)`` to ``cfg.custom_hooks`` unless there."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(h.get('type')).split('.')[-1] == hook_type for h in hooks):
        hooks.append(dict(type=hook_type))
    cfg.custom_hooks = hooks
