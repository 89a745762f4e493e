"""Measure the latency table of an SPOS search space on this machine.

Usage::

    python tools/analysis_tools/build_latency_table.py CONFIG --out FILE
        [--device cpu|cuda] [--batch B] [--threads T] [--shape H W]
        [--repeats N] [--fit-subnets S] [--seed SEED]
        [--statistic min|median] [--clock auto|wall|thread]
        [--cfg-options k=v ...]

CONFIG is a supernet or search config (``model.architecture`` holds the
choice blocks). Every candidate of every decision is timed on its real
input inside whole subnets, then ``--fit-subnets`` whole subnets end to
end to fit the correction ``measured ~ scale * table sum + offset``; see
docs/latency.md. Random weights time as trained ones do: no checkpoint is
read. The table holds
the model's forward only (no data preprocessing). Build it on the device
(and with the thread count) you deploy on; pass it to a search with
``--cfg-options train_cfg.latency_range=[None,MS]
train_cfg.latency_table=FILE``.
"""
import argparse
import os.path as osp
import sys
import time

from mmengine.config import DictAction


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='SPOS supernet or search config')
    parser.add_argument('--out', required=True, help='the JSON table')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        help='torch.set_num_threads (default: torch\'s)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[224, 224],
        metavar=('H', 'W'),
        help='input size (224 224)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=30,
        help='timings of every candidate and fit subnet')
    parser.add_argument(
        '--fit-subnets',
        type=int,
        default=8,
        help='whole subnets timed for the correction (8)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--statistic', default='min', choices=['min', 'median'])
    parser.add_argument(
        '--clock',
        default='auto',
        choices=['auto', 'wall', 'thread'],
        help='auto: CPU time of the thread on a CPU with '
        'one thread, else elapsed time')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def build_supernet(cfg):
    """Build the config's searchable network and a prepared mutator.

    Args:
        cfg (Config): The loaded supernet or search config.

    Returns:
        tuple: ``(net, mutator)``: the network that holds the choice
        blocks (``model.architecture`` when the model has one) and a
        :class:`OneShotMutator` prepared from it.
    """
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.mutators import OneShotMutator
    from mmrazor_lite.registry import MODELS

    init_default_scope(cfg.get('default_scope', 'mmrazor_lite'))
    model = MODELS.build(cfg.model)
    net = getattr(model, 'architecture', model)
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(net)  # says so when nothing is searched
    return net, mutator


def main(argv=None):
    """Measure the latency table the command line asks for and save it.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        int: 0 once the table is written.

    Raises:
        SystemExit: With the message, on a missing config, a bad option,
            no GPU for ``--device cuda`` or a config or space that cannot
            be timed.
    """
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'config file {args.config!r} does not exist')
    for name in ('batch', 'repeats'):
        if getattr(args, name) < 1:
            sys.exit(f'--{name} must be at least 1')
    if args.fit_subnets and args.fit_subnets < 2:
        sys.exit('--fit-subnets must be 0 (no correction) or at least 2')
    import torch

    from mmrazor_lite.apis import load_config
    from mmrazor_lite.estimators import build_latency_table
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('--device cuda given, but torch sees no GPU')
    try:
        cfg = load_config(args.config, args.cfg_options)
        net, mutator = build_supernet(cfg)
        start = time.perf_counter()
        table = build_latency_table(
            net,
            mutator, (args.batch, 3, *args.shape),
            args.device,
            args.threads,
            args.repeats,
            args.fit_subnets,
            args.seed,
            args.statistic,
            args.clock,
            config=args.config)
    except (KeyError, ValueError) as err:
        sys.exit(f'error: {err.args[0] if err.args else err}')
    table.meta['build_s'] = round(time.perf_counter() - start, 1)
    table.save(args.out)
    print(table.describe())
    print(f'written in {table.meta["build_s"]} s to {args.out}')
    return 0


if __name__ == '__main__':
    from mmrazor_lite.estimators.latency_timer import steady_allocator
    steady_allocator()  # this process only times: see its docstring
    main()
