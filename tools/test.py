"""Test a model from a config, OpenMMLab style.

Usage::

    python tools/test.py CONFIG CHECKPOINT|none [--work-dir DIR]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

``none`` loads no checkpoint: the weights come from ``model.init_cfg``
(e.g. a subnet config whose ``model.init_cfg.checkpoint`` is set).

A CHECKPOINT is tested as the network it was trained as: a SPOS subnet's
``meta.fix_subnet`` or a DARTS cell's ``meta.genotype`` picks the
architecture, and the weights load strictly (see
:mod:`mmrazor_lite.apis.trained_checkpoint`).
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None):
    """Parse the command line and set ``LOCAL_RANK`` if it is unset.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint',
        help="checkpoint file, or 'none' to use the "
        'weights that model.init_cfg loads')
    parser.add_argument('--work-dir', help='where logs and results go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.batch_size=32')
    parser.add_argument(
        '--launcher', default='none', choices=['none', 'pytorch', 'slurm'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    """Build the config and the runner, load the checkpoint and test.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        dict: The metrics of the test loop.

    Raises:
        FileNotFoundError: If CHECKPOINT is neither ``none`` nor an
            existing file.
    """
    from mmrazor_lite.apis import (build_config, build_runner,
                                   load_checkpoint_strictly,
                                   shutdown_distributed,
                                   use_checkpoint_architecture)
    args = parse_args(argv)
    cfg = build_config(args.config, args.work_dir, args.cfg_options,
                       args.launcher)
    cfg.load_from = None
    checkpoint = None  # read once, loaded strictly after the build
    if args.checkpoint.lower() != 'none':
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(
                f'checkpoint {args.checkpoint!r} does not exist (pass none '
                f'to take the weights from model.init_cfg)')
        checkpoint = use_checkpoint_architecture(cfg, args.checkpoint)
    runner = build_runner(cfg)
    if checkpoint is not None:
        load_checkpoint_strictly(runner, args.checkpoint, checkpoint)
    metrics = runner.test()
    shutdown_distributed()
    return metrics


if __name__ == '__main__':
    main()
