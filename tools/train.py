"""Train a model, or run a search loop, from a config, OpenMMLab style.

Usage::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm]

The config's ``train_cfg`` picks what runs: a supernet or subnet training,
the DARTS bi-level loop or a search loop (whose ``--resume`` continues its
own ``search_epoch_N.pth``).
"""
import argparse
import os

from mmengine.config import DictAction


def parse_args(argv=None):
    """Parse the command line and set ``LOCAL_RANK`` if it is unset.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Train a model / run a NAS '
                                     'stage from a config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given (a search: its search_epoch_N.pth)')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision (CUDA)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale lr by the real batch size against '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_cfg.max_iters=10')
    parser.add_argument(
        '--launcher', default='none', choices=['none', 'pytorch', 'slurm'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    """Build the config and the runner from the command line and train.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).
    """
    from mmrazor_lite.apis import (build_config, build_runner,
                                   shutdown_distributed)
    args = parse_args(argv)
    cfg = build_config(args.config, args.work_dir, args.cfg_options,
                       args.launcher, args.resume, args.amp,
                       args.auto_scale_lr)
    runner = build_runner(cfg)
    runner.train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
