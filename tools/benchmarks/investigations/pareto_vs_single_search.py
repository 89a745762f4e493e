"""One Pareto search against one single-budget search per budget, on the
demo supernet: the subnet each finds per budget and the candidates each
scored (the search's cost: every candidate is one BN re-estimation and one
pass over the search split).

    python tools/benchmarks/investigations/pareto_vs_single_search.py
        [--work-dir DIR] [--iters 1000] [--fractions 0.25 0.5 0.75] [--seed 0]
        [--single-generations G] [--pareto-generations G]
        [--pareto-population N] [--pareto-top-k K] [--pareto-bounded]
        [--exhaustive] [--json]

The supernet is the demo's stage 1 (``configs/demo/``, ShuffleNetV2 on the
digits, ``--iters`` iterations), trained once and cached in ``--work-dir``.
The budgets are FLOPs upper bounds at ``--fractions`` of the span between
the space's cheapest and dearest paths (fvcore, 32x32). Each single search
is ``spos_search_digits.py`` under its budget; the Pareto search is
``spos_pareto_search_digits.py`` without one, and its pick for a budget is
what ``pick_subnet.py`` picks: the best-scoring front member within it.
Scores are val top-1 with the supernet's weights (BN re-estimated), as
both searches rank paths; all searches use the same seed and images, so a
path scores the same in each. ``--pareto-bounded`` gives the Pareto search
the largest budget as its ``flops_range`` (no path dearer than any budget
asks is scored); ``--exhaustive`` scores every path of the space (1,024)
afterwards, for the best each budget allows.
"""
import argparse
import importlib.util
import os.path as osp
import sys
import time

#: tools/benchmarks/, where the shared module is
BENCHMARKS = osp.dirname(osp.dirname(osp.abspath(__file__)))
if __name__ == '__main__':  # run as a file
    sys.path.insert(0, BENCHMARKS)
from benchmark_report import print_result  # noqa: E402

REPO = osp.dirname(osp.dirname(BENCHMARKS))
#: the front's pick may score this much below a single search's best
TOLERANCE = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir', default='work_dirs/bench_pareto_vs_single')
    parser.add_argument(
        '--iters',
        type=int,
        default=1000,
        help='supernet training iterations (demo: 1000)')
    parser.add_argument(
        '--fractions', type=float, nargs='+', default=[0.25, 0.5, 0.75])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--single-generations',
        type=int,
        default=None,
        help='default: the config (4)')
    parser.add_argument(
        '--pareto-generations',
        type=int,
        default=None,
        help='default: the config (4)')
    parser.add_argument(
        '--pareto-population',
        type=int,
        default=None,
        help='default: the config (16)')
    parser.add_argument(
        '--pareto-top-k',
        type=int,
        default=None,
        help='default: the config (8)')
    parser.add_argument(
        '--pareto-bounded',
        action='store_true',
        help='Pareto search within the largest budget')
    parser.add_argument(
        '--exhaustive',
        action='store_true',
        help='also score every path: the true best')
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'demo', osp.join(REPO, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def train_supernet(demo, work: str, iters: int):
    """The demo's stage-1 checkpoint (trained unless cached) and the
    architecture the searches must build."""
    from mmrazor_lite.apis import build_runner
    cfg = demo._config(demo.SPACES['shufflenet'][0],
                       osp.join(work, 'supernet'), 'supernet',
                       demo._iteration_options(iters))
    ckpt = osp.join(cfg.work_dir, f'iter_{iters}.pth')
    if not osp.isfile(ckpt):
        build_runner(cfg).train()
    space = {'model.architecture': dict(cfg.model.architecture, _delete_=True)}
    return ckpt, space


def flops_span(cfg):
    """(cheapest, dearest) FLOPs of the space's paths, as searched."""
    from mmengine.registry import init_default_scope

    from mmrazor_lite.estimators.resource_table import ResourceTable
    from mmrazor_lite.registry import MODELS
    init_default_scope('mmrazor_lite')
    model = MODELS.build(cfg.model)
    table = ResourceTable(model.architecture, model.mutator,
                          cfg.train_cfg.input_shape,
                          cfg.train_cfg.flops_convention)
    return tuple(table.fixed_flops +
                 sum(pick(v.values()) for v in table.flops.values())
                 for pick in (min, max))


def search(demo, config: str, work_dir: str, options: dict):
    """Run one search; its loop and wall time."""
    from mmrazor_lite.apis import build_runner
    cfg = demo._config(config, work_dir, osp.basename(work_dir),
                       dict(options, **{'train_cfg.overwrite': True}))
    start = time.perf_counter()
    runner = build_runner(cfg)
    runner.train()
    return runner.train_loop, time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    from mmrazor_lite.structures.pareto_front_file import (load_pareto_front,
                                                           pick_member)
    demo = load_demo()
    work = args.work_dir
    ckpt, space = train_supernet(demo, work, args.iters)
    common = dict(space, load_from=ckpt, **{'train_cfg.seed': args.seed})
    probe = demo._config('spos_search_digits.py', osp.join(work, 'probe'),
                         'probe', dict(space))
    low, high = flops_span(probe)
    budgets = [int(low + f * (high - low)) for f in args.fractions]

    rows, single_total, single_s = [], 0, 0.0
    for fraction, budget in zip(args.fractions, budgets):
        options = dict(common, **{'train_cfg.flops_range': (None, budget)})
        if args.single_generations:
            options['train_cfg.max_epochs'] = args.single_generations
        loop, seconds = search(demo, 'spos_search_digits.py',
                               osp.join(work, f'single_{int(fraction * 100)}'),
                               options)
        best = loop.top_k_candidates[0]
        rows.append(
            dict(
                budget=budget,
                fraction=fraction,
                single_score=loop.scores[best],
                single_flops=loop.table.flops_of(loop.as_choices(best)),
                single_scored=len(loop.scores)))
        single_total += len(loop.scores)
        single_s += seconds

    options = dict(common)
    if args.pareto_bounded:
        options['train_cfg.flops_range'] = (None, max(budgets))
    for key, value in (('max_epochs', args.pareto_generations),
                       ('num_candidates',
                        args.pareto_population), ('top_k', args.pareto_top_k)):
        if value:
            options[f'train_cfg.{key}'] = value
    pareto_dir = osp.join(work, 'pareto')
    loop, pareto_s = search(demo, 'spos_pareto_search_digits.py', pareto_dir,
                            options)
    front_file = osp.join(pareto_dir, 'pareto_front.yaml')
    front = load_pareto_front(front_file)
    for row in rows:
        _, member = pick_member(front, front_file, flops_max=row['budget'])
        row.update(
            pick_score=float(member['score']),
            pick_flops=int(member['flops']),
            gap=float(member['score']) - row['single_score'])
    if args.exhaustive:
        every = score_every_path(loop)
        for row in rows:
            row['best_possible'] = max(s for flops, s in every
                                       if flops <= row['budget'])
    result = dict(
        supernet=ckpt,
        flops_span=[low, high],
        budgets=budgets,
        rows=rows,
        single_scored_total=single_total,
        single_seconds=round(single_s, 1),
        pareto_scored=len(loop.scores),
        pareto_seconds=round(pareto_s, 1),
        front_size=len(front['front']),
        pareto_generations=loop.max_epochs,
        pareto_population=loop.num_candidates,
        pareto_top_k=loop.top_k,
        pareto_flops_max=max(budgets) if args.pareto_bounded else None,
        target_met=all(r['gap'] >= -TOLERANCE for r in rows)
        and len(loop.scores) < single_total)
    if args.json:
        print_result(result, True)
    else:
        print(table(result))
    return result


def score_every_path(loop):
    """(FLOPs, score) of every path, by the search's own scorer."""
    import itertools
    every = []
    for names in itertools.product(*loop.choices.values()):
        choices = loop.as_choices(names)
        score = loop.scores.get(names)
        every.append(
            (loop.table.flops_of(choices),
             score if score is not None else loop.scorer.score(choices)))
    return every


def table(result: dict) -> str:
    """The markdown table docs/benchmarks.md records."""
    exhaustive = 'best_possible' in result['rows'][0]
    lines = [
        '| budget (FLOPs, fraction of span) | single search: best '
        'top-1 (FLOPs) | scored | front pick: top-1 (FLOPs) | pick - '
        'single |' + (' best path within |' if exhaustive else ''),
        '| --- ' * (6 if exhaustive else 5) + '|'
    ]
    for r in result['rows']:
        lines.append(f'| {r["budget"]:,} ({r["fraction"]:.0%}) | '
                     f'{r["single_score"]:.2f} ({r["single_flops"]:,}) | '
                     f'{r["single_scored"]} | {r["pick_score"]:.2f} '
                     f'({r["pick_flops"]:,}) | {r["gap"]:+.2f} |' +
                     (f' {r["best_possible"]:.2f} |' if exhaustive else ''))
    lines.append(
        f'| total scored | {len(result["rows"])} single searches | '
        f'{result["single_scored_total"]} ({result["single_seconds"]} s) | '
        f'one Pareto search: {result["pareto_scored"]} '
        f'({result["pareto_seconds"]} s), front of '
        f'{result["front_size"]} | |' + (' |' if exhaustive else ''))
    verdict = 'met' if result['target_met'] else 'missed'
    bound = result['pareto_flops_max'] or '(no bound)'
    return '\n'.join(lines) + (
        f'\n\nPareto search: {result["pareto_generations"]} generations, '
        f'population {result["pareto_population"]}, top-k '
        f'{result["pareto_top_k"]}, FLOPs at most {bound}; space span '
        f'{result["flops_span"][0]:,}-{result["flops_span"][1]:,} FLOPs. '
        f'Target (every pick within {TOLERANCE} point of the single best, '
        f'fewer candidates scored): '
        f'{verdict}.')


if __name__ == '__main__':
    main()
