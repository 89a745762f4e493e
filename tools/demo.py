"""NAS on real data, on CPU, in minutes: SPOS (four stages) or PC-DARTS.

Usage::

    python tools/demo.py [--space shufflenet|mobilenet] [--work-dir DIR]
        [--iters N] [--generations G] [--retrain-iters R]
        [--search single|pareto]
    python tools/demo.py --pipeline pcdarts [--work-dir DIR] [--epochs E]
        [--eval-epochs E]

On scikit-learn's digits (1,797 real 8x8 images shipped with the package,
upsampled to 32x32), through the same config machinery and tools as the
ImageNet pipeline (``configs/demo/``):

1. train the SPOS supernet: ShuffleNetV2 (widen 0.5, 5 choice blocks), or
   with ``--space mobilenet`` the MobileNet ProxylessNAS-GPU space (widen
   0.5, one block per stage);
2. evolution search on it under a FLOPs budget, each candidate scored on
   the val split after BN re-estimation on training images; every
   candidate's score against its FLOPs is drawn in
   ``search/search_pareto.png``. With ``--search pareto`` one NSGA-II
   search finds the Pareto front of score and FLOPs instead
   (``configs/demo/spos_pareto_search_digits.py``), prints it and picks
   the front's best subnet for the budget with
   ``tools/analysis_tools/pick_subnet.py`` (see docs/spos.md);
3. retrain the found subnet alone, starting from its search weights;
4. test the retrained subnet on the held-out test split (chance: 10 %).

Every stage writes into its own folder of ``--work-dir`` exactly what the
ImageNet run writes (see docs/spos.md).

``--pipeline pcdarts`` runs a PC-DARTS search (K=4, edge normalisation) on
the same digits (train split: weights; val split: architecture) with the
CIFAR-10 search config shrunk (``configs/demo/pcdarts_search_digits.py``),
prints the genotype it finds, then trains that cell from scratch with the
CIFAR-10 evaluation recipe shrunk (``configs/demo/pcdarts_subnet_digits.py``)
and prints its test accuracy (see docs/pcdarts.md).
"""
import argparse
import os.path as osp
import time

HERE = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(HERE, '..', 'configs', 'demo')
#: space -> (its stage-1 demo config, the search's FLOPs budget at 32x32)
SPACES = {
    'shufflenet': ('spos_supernet_shufflenetv2_digits.py', 1.2e6),
    'mobilenet': ('spos_supernet_mobilenet_proxyless_gpu_digits.py', 1.5e6),
}


def parse_args(argv=None):
    """Parse the command line of the demo.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--pipeline', default='spos', choices=['spos', 'pcdarts'])
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='pcdarts: search epochs (config: 6)')
    parser.add_argument(
        '--eval-epochs',
        type=int,
        default=None,
        help='pcdarts: epochs training the found cell '
        '(config: 4)')
    parser.add_argument(
        '--space',
        default='shufflenet',
        choices=list(SPACES),
        help='the search space (default shufflenet)')
    parser.add_argument(
        '--work-dir',
        default=None,
        help='default work_dirs/demo_<pipeline>_digits')
    parser.add_argument(
        '--iters',
        type=int,
        default=None,
        help='supernet training iterations (config: 1000)')
    parser.add_argument(
        '--generations',
        type=int,
        default=None,
        help='search generations (config: 4)')
    parser.add_argument(
        '--retrain-iters',
        type=int,
        default=None,
        help='subnet retraining iterations (config: 300)')
    parser.add_argument(
        '--search',
        default='single',
        choices=['single', 'pareto'],
        help='stage 2: one search under the FLOPs budget '
        '(default), or a Pareto front then a pick')
    return parser.parse_args(argv)


def _config(name, work_dir, stage, options):
    """Build the demo config ``name`` with ``options`` merged in."""
    from mmrazor_lite.apis import build_config
    cfg = build_config(osp.join(CONFIGS, name), work_dir)
    cfg.merge_from_dict(options)
    # one process runs several runners: keep their loggers apart
    cfg.experiment_name = f'demo_{stage}_{time.strftime("%Y%m%d_%H%M%S")}'
    return cfg


def _iteration_options(iters):
    """The config options that make an iteration run ``iters`` long."""
    if not iters:
        return {}
    return {
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters,
        'param_scheduler.0.end': iters,
        'default_hooks.checkpoint.interval': iters
    }


def pcdarts(args):
    """Run the PC-DARTS search on the digits, then train the found cell.

    It prints the genotype found and the test accuracy of the cell trained
    from scratch.

    Args:
        args (argparse.Namespace): The parsed command line; ``work_dir``,
            ``epochs`` and ``eval_epochs`` are used.

    Returns:
        dict: ``genotype`` (the Genotype found) and ``test_top1`` (the
        test top-1 accuracy of the trained cell, in %).
    """
    from mmrazor_lite.apis import build_runner
    work = args.work_dir or 'work_dirs/demo_pcdarts_digits'
    options = {}
    if args.epochs:
        options = {
            'train_cfg.max_epochs': args.epochs,
            'train_cfg.val_interval': args.epochs,
            'train_cfg.arch_begin_epoch': min(2, args.epochs - 1),
            'param_scheduler.architecture.0.T_max': args.epochs,
            'param_scheduler.architecture.0.end': args.epochs
        }
    start = time.time()
    cfg = _config('pcdarts_search_digits.py', osp.join(work, 'search'),
                  'pcdarts', options)
    runner = build_runner(cfg)
    runner.train()
    genotype = runner.train_loop.model.mutator.genotype()
    print(f'\n[demo] PC-DARTS search: {cfg.train_cfg.max_epochs} epochs in '
          f'{time.time() - start:.0f} s; genotype (also in '
          f'{osp.join(cfg.work_dir, "genotype.yaml")}):')
    for cell in ('normal', 'reduce'):
        pairs = getattr(genotype, cell)
        nodes = [
            f'node {i}: {pairs[2 * i]} {pairs[2 * i + 1]}'
            for i in range(len(pairs) // 2)
        ]
        print(f'[demo]   {cell}: ' + '; '.join(nodes))

    # train the found cell from scratch, briefly, and test it
    options = {
        'model.backbone.genotype': osp.join(cfg.work_dir, 'genotype.yaml')
    }
    if args.eval_epochs:
        options.update({
            'train_cfg.max_epochs': args.eval_epochs,
            'train_cfg.val_interval': args.eval_epochs,
            'param_scheduler.0.T_max': args.eval_epochs,
            'param_scheduler.0.end': args.eval_epochs,
            'default_hooks.checkpoint.interval': args.eval_epochs
        })
    cfg = _config('pcdarts_subnet_digits.py', osp.join(work, 'train'),
                  'pcdarts_train', options)
    runner = build_runner(cfg)
    runner.train()
    top1 = runner.test()['accuracy/top1']
    print(f'[demo] the found cell trained for {cfg.train_cfg.max_epochs} '
          f'epochs: test top-1 {top1:.1f} % (chance: 10.0 %); '
          f'{time.time() - start:.0f} s in all')
    return dict(genotype=genotype, test_top1=top1)


def _single_search(options, work_dir, budget):
    """Run the search under ``budget``.

    Returns ``(choices, flops, short, weights)`` of the best subnet.
    """
    from mmrazor_lite.apis import build_runner
    options['train_cfg.flops_range'] = (None, budget)
    cfg = _config('spos_search_digits.py', work_dir, 'search', options)
    runner = build_runner(cfg)
    runner.train()
    loop = runner.train_loop
    best = loop.top_k_candidates[0]
    choices = loop.as_choices(best)
    short = ' '.join(c.replace('shuffle_', '') for c in best)
    flops = loop.table.flops_of(choices)
    print(f'[demo] stage 2: searched {len(loop.scores)} candidates; best '
          f'subnet [{short}], {flops:,} FLOPs '
          f'(budget {budget:,.0f}, fvcore, 32x32), '
          f'{loop.table.params_of(choices):,} params, val top-1 with '
          f'supernet weights {loop.scores[best]:.1f} %')
    print(f'[demo] stage 2: every candidate in '
          f'{osp.join(cfg.work_dir, "search_candidates.csv")}, drawn in '
          f'{osp.join(cfg.work_dir, "search_pareto.png")}')
    return (choices, flops, short,
            osp.join(cfg.work_dir, 'best_subnet_weights.pth'))


def _pareto_search(options, work_dir, budget):
    """One NSGA-II search, then the front's pick for ``budget``."""
    import importlib.util

    from mmrazor_lite.apis import build_runner
    from mmrazor_lite.structures.pareto_front_file import load_pareto_front
    cfg = _config('spos_pareto_search_digits.py', work_dir, 'search', options)
    runner = build_runner(cfg)
    runner.train()
    loop = runner.train_loop
    front = osp.join(cfg.work_dir, 'pareto_front.yaml')
    spec = importlib.util.spec_from_file_location(
        'pick_subnet', osp.join(HERE, 'analysis_tools', 'pick_subnet.py'))
    pick = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pick)
    members = load_pareto_front(front)['front']
    print(f'[demo] stage 2: Pareto search scored {len(loop.scores)} '
          f'candidates; front of {len(members)} subnets (fvcore, 32x32) in '
          f'{front}, drawn in {osp.join(cfg.work_dir, "search_pareto.png")}:')
    for member in members:
        names = ' '.join(
            c.replace('shuffle_', '') for c in member['decisions'].values())
        print(f'[demo]   {member["rank"]:>2}. {member["flops"]:>11,} FLOPs, '
              f'val top-1 {member["score"]:5.1f} %  [{names}]')
    picked = pick.pick_subnet(
        front, osp.join(cfg.work_dir, 'pick'), flops_max=budget)
    member = picked['member']
    short = ' '.join(
        c.replace('shuffle_', '') for c in member['decisions'].values())
    print(f'[demo] stage 2: picked for the budget {budget:,.0f} FLOPs: '
          f'subnet [{short}], {member["flops"]:,} FLOPs, '
          f'{member["params"]:,} params, val top-1 with supernet weights '
          f'{member["score"]:.1f} % -> {picked["weights_file"]}')
    return (dict(member['decisions']), member['flops'], short,
            picked['weights_file'])


def main(argv=None):
    """Run the demo pipeline the command line picks.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        dict: For SPOS, ``subnet`` (decision -> choice of the found
        subnet), ``flops`` and ``test_top1`` (in %); for PC-DARTS, what
        :func:`pcdarts` returns.
    """
    args = parse_args(argv)
    if args.pipeline == 'pcdarts':
        return pcdarts(args)
    from mmrazor_lite.apis import build_runner
    work = args.work_dir or f'work_dirs/demo_spos_{args.space}_digits'
    supernet_config, budget = SPACES[args.space]
    start = time.time()

    # 1. supernet
    cfg = _config(supernet_config, osp.join(work, 'supernet'), 'supernet',
                  _iteration_options(args.iters))
    # stages 2-4 build the same architecture
    space = {'model.architecture': dict(cfg.model.architecture, _delete_=True)}
    runner = build_runner(cfg)
    runner.train()
    supernet_ckpt = osp.join(cfg.work_dir,
                             f'iter_{cfg.train_cfg.max_iters}.pth')
    print(f'\n[demo] stage 1: supernet trained in {time.time() - start:.0f} '
          f's -> {supernet_ckpt}')

    # 2. evolution search (or a Pareto front and a pick from it)
    options = dict(space, load_from=supernet_ckpt)
    # the demo reruns every stage from scratch: replace an earlier demo's
    # search files (a search refuses them otherwise)
    options['train_cfg.overwrite'] = True
    if args.generations:
        options['train_cfg.max_epochs'] = args.generations
    search = _pareto_search if args.search == 'pareto' else _single_search
    choices, flops, short, search_weights = search(options,
                                                   osp.join(work, 'search'),
                                                   budget)

    # 3. retrain the subnet from its search weights
    options = dict(space, **{'model.init_cfg.checkpoint': search_weights})
    options.update(_iteration_options(args.retrain_iters))
    cfg = _config('spos_subnet_digits.py', osp.join(work, 'retrain'),
                  'retrain', options)
    runner = build_runner(cfg)
    runner.train()
    retrained = osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    print(f'[demo] stage 3: subnet retrained -> {retrained}')

    # 4. test it: weights from model.init_cfg (tools/test.py CONFIG none)
    cfg = _config(
        'spos_subnet_digits.py', osp.join(work, 'test'), 'test',
        dict(space, **{
            'model.init_cfg.checkpoint': retrained,
            'load_from': None
        }))
    runner = build_runner(cfg)
    top1 = runner.test()['accuracy/top1']
    print(f'[demo] stage 4: retrained subnet [{short}] test top-1 '
          f'{top1:.1f} % (chance: 10.0 %); all four stages in '
          f'{time.time() - start:.0f} s')
    return dict(subnet=choices, flops=flops, test_top1=top1)


if __name__ == '__main__':
    main()
