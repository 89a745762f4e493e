"""Train (or run a search loop) from a config, OpenMMLab style.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model / run a NAS '
                                     'stage from a config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale lr by the real batch size against '
                        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. train_cfg.max_iters=10')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_amp(cfg: Config) -> None:
    """``--amp``: every optim wrapper of ``cfg`` becomes an
    ``AmpOptimWrapper`` (DARTS has one per part: weights and architecture)."""
    optim_wrapper = cfg.optim_wrapper
    if optim_wrapper.get('constructor') == 'SeparateOptimWrapperConstructor':
        parts = {f'optim_wrapper.{name}': part
                 for name, part in optim_wrapper.items()
                 if name != 'constructor'}
    else:
        parts = {'optim_wrapper': optim_wrapper}
    for key, part in parts.items():
        if part.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(
                f'--amp needs {key}.type OptimWrapper, the config has '
                f'{part.type!r}')
        part.type = 'AmpOptimWrapper'
        part.setdefault('loss_scale', 'dynamic')


def build_config(args) -> Config:
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'--auto-scale-lr needs an auto_scale_lr entry '
                           f'(base_batch_size) in {args.config}')
        cfg.auto_scale_lr.enable = True
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='NASDistributedDataParallel'))
    return cfg


def build_runner(cfg: Config):
    import mmrazor_lite  # noqa: F401  registers our types, safe checkpoints
    from mmengine.runner import Runner

    from mmrazor_lite.engine import init_distributed
    if cfg.launcher != 'none':
        init_distributed(cfg.launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    if 'runner_type' in cfg:
        from mmrazor_lite.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def shutdown_distributed() -> None:
    """Wait for every rank, then close the process group.

    Without it a rank that finishes first exits while the others still
    talk to it, and gloo may abort the process at exit.
    """
    import torch.distributed as torch_dist
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    runner = build_runner(cfg)
    runner.train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
