"""How well a latency table predicts whole subnets, per search space.

    python tools/benchmarks/latency_table_accuracy.py
        [--space shufflenet mobilenet] [--device cpu|cuda] [--batch 1]
        [--threads 1] [--subnets 20] [--shape 224 224] [--repeats 30]
        [--fit-subnets 8] [--eval-repeats N] [--statistic min|median]
        [--clock auto|wall|thread] [--wall-check] [--json]

For each space the full-size ImageNet SPOS supernet (random weights: they
time as trained ones do) gets its table built exactly as
``tools/analysis_tools/build_latency_table.py`` builds it, then
``--subnets`` random subnets (drawn apart from the ones the correction was
fitted on) are timed end to end, alternating, exactly as the fit subnets
were (same clock, statistic and number of timings). Reported: mean and
max absolute error of the prediction in %, Spearman's rank correlation,
and the wall time of both steps. Like the build tool, the script keeps
glibc's freed memory while it times (``steady_allocator``).
``--wall-check`` also times the subnets by elapsed time (what the ``thread``
clock leaves out is other processes' share of the core: on a quiet machine
both agree).
"""
import argparse
import os.path as osp
import random
import statistics
import time

from benchmark_report import print_result

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    shufflenet='spos_supernet_shufflenetv2_8xb128_in1k.py',
    mobilenet='spos_supernet_mobilenet_proxyless_gpu_8xb128_in1k.py')
TARGETS = dict(mae_pct=5.0, max_error_pct=10.0, spearman=0.9)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--space', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--subnets', type=int, default=20)
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224])
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--fit-subnets', type=int, default=8)
    parser.add_argument(
        '--eval-repeats',
        type=int,
        help='timings of every evaluated subnet (default: '
        '--repeats, as the fit subnets are timed: the '
        'minimum of more timings is lower)')
    parser.add_argument(
        '--statistic', default='min', choices=['min', 'median'])
    parser.add_argument(
        '--clock', default='auto', choices=['auto', 'wall', 'thread'])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--wall-check', action='store_true')
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def ranks(values):
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == \
                values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a, b) -> float:
    """Spearman's rho: Pearson's correlation of the ranks."""
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.mean(ra), statistics.mean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    var = (sum((x - ma)**2 for x in ra) * sum((y - mb)**2 for y in rb))**0.5
    return cov / var if var else float('nan')


def errors(predicted, measured) -> dict:
    errs = [100 * abs(p - m) / m for p, m in zip(predicted, measured)]
    return dict(
        mae_pct=round(statistics.mean(errs), 2),
        max_error_pct=round(max(errs), 2),
        spearman=round(spearman(predicted, measured), 3))


def measure_space(space, args) -> dict:
    import torch
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.apis import load_config
    from mmrazor_lite.estimators import build_latency_table, time_subnets
    from mmrazor_lite.mutators import OneShotMutator
    from mmrazor_lite.registry import MODELS

    config = osp.join(REPO, 'configs', 'nas', 'spos', CONFIGS[space])
    cfg = load_config(config)
    init_default_scope('mmrazor_lite')
    torch.manual_seed(args.seed)
    net = MODELS.build(cfg.model).architecture
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(net)
    shape = (args.batch, 3, *args.shape)
    start = time.perf_counter()
    table = build_latency_table(
        net,
        mutator,
        shape,
        args.device,
        args.threads,
        args.repeats,
        fit_subnets=args.fit_subnets,
        seed=args.seed,
        statistic=args.statistic,
        clock=args.clock,
        config=osp.relpath(config, REPO))
    build_s = time.perf_counter() - start
    fit = table.meta.get('correction_fit', {})
    # subnets the correction has not seen, each once
    seen = {tuple(r['choices'].values()) for r in fit.get('subnets', [])}
    rng, paths = random.Random(args.seed + 1), []
    while len(paths) < args.subnets:
        path = mutator.sample_choices(rng)
        if tuple(path.values()) not in seen:
            seen.add(tuple(path.values()))
            paths.append(path)
    start = time.perf_counter()
    timing = dict(
        repeats=args.eval_repeats or args.repeats,
        statistic=args.statistic,
        threads=args.threads)
    measured = time_subnets(
        net, mutator, paths, shape, args.device, clock=args.clock, **timing)
    eval_s = time.perf_counter() - start
    predicted = [table.latency_of(p) for p in paths]
    result = dict(
        errors(predicted, measured),
        table_build_s=round(build_s, 1),
        eval_s=round(eval_s, 1),
        clock=table.meta['clock'],
        measured_range_ms=[round(min(measured), 2),
                           round(max(measured), 2)],
        predicted_span_ms=[round(v, 2) for v in table.min_max()[:2]],
        correction=[round(table.scale, 4),
                    round(table.offset_ms, 3)],
        fit_max_residual_pct=fit.get('max_abs_residual_pct'),
        measured_ms=[round(m, 5) for m in measured],
        predicted_ms=[round(p, 5) for p in predicted])
    if args.wall_check:
        wall = time_subnets(
            net, mutator, paths, shape, args.device, clock='wall', **timing)
        result['wall_clock'] = dict(
            errors(predicted, wall), measured_ms=[round(m, 3) for m in wall])
    result['targets_met'] = (
        result['mae_pct'] <= TARGETS['mae_pct']
        and result['max_error_pct'] <= TARGETS['max_error_pct']
        and result['spearman'] >= TARGETS['spearman'])
    return result


def main(argv=None):
    args = parse_args(argv)
    from mmrazor_lite.estimators.latency_timer import device_name
    start = time.perf_counter()
    result = dict(
        device=args.device,
        device_name=device_name(args.device),
        batch=args.batch,
        threads=args.threads,
        shape=list(args.shape),
        subnets=args.subnets,
        repeats=args.repeats,
        fit_subnets=args.fit_subnets,
        eval_repeats=args.eval_repeats or args.repeats,
        statistic=args.statistic)
    for space in args.space:
        result[space] = measure_space(space, args)
    result['wall_s'] = round(time.perf_counter() - start, 1)
    if not args.json:  # the per-subnet lists are for --json readers
        for space in args.space:
            result[space] = {
                k: v
                for k, v in result[space].items()
                if k not in ('measured_ms', 'predicted_ms')
            }
    print_result(result, args.json)
    return 0


if __name__ == '__main__':
    from mmrazor_lite.estimators.latency_timer import steady_allocator
    steady_allocator()  # as build_latency_table.py: this process only times
    main()
