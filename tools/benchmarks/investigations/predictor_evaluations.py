"""Does a score predictor save real evaluations in the evolution search?

    python tools/benchmarks/investigations/predictor_evaluations.py
        [--work-dir DIR] [--seeds 0 1 2] [--types GaussianProcess MLP ...]
        [--warmup 16] [--oversample 4] [--generations 4]
        [--search-types TYPE ...] [--threads 1] [--json]

On the demo supernet (``configs/demo/spos_supernet_shufflenetv2_digits.py``,
trained once, 1000 iterations, and kept in ``DIR/supernet``), the demo
search (``configs/demo/spos_search_digits.py``: population 16, top-k 4,
8 mutations + 8 crossovers, FLOPs <= 1.2 M) runs for every seed once
plain and once per predictor type, with the same number of generations, so
the same number of real evaluations at most. Reported per type, means over
the seeds (``--search-types`` limits the searches with a predictor, not
the correlations, which cost no evaluation):

- **evaluations to the plain best**: how many candidates a search scored
  before it first scored as well as the plain search's best (of the same
  seed, so the same calibration images); a search that never got there
  counts as its whole budget and the seeds that did are listed;
- the best score each search found, and after each quarter of the
  evaluations (``best_at``: how the searches compare at any budget);
- **held-out rank correlation**: the predictor fitted on the first half of
  the plain search's scores (in the order they were scored) predicts the
  second half; Spearman and Kendall between predicted and real scores.

Scores depend only on the supernet, the seed and the path, so a path that
another search of the same seed scored already is read from a cache,
``DIR/score_cache.json`` (it still counts as a real evaluation of the
search that asked for it): this only saves wall time.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from collections import OrderedDict

#: tools/benchmarks/, where the shared module is
BENCHMARKS = osp.dirname(osp.dirname(osp.abspath(__file__)))
if __name__ == '__main__':  # run as a file
    sys.path.insert(0, BENCHMARKS)
from benchmark_report import print_result  # noqa: E402

REPO = osp.dirname(osp.dirname(BENCHMARKS))
DEMO = osp.join(REPO, 'configs', 'demo')
SUPERNET_ITERS = 1000
DEFAULT_TYPES = ('GaussianProcess', 'MLP', 'RandomForest', 'ExtraTrees',
                 'GradientBoosting')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir', default='work_dirs/predictor_evaluations')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--types', nargs='+', default=list(DEFAULT_TYPES))
    parser.add_argument(
        '--warmup',
        type=int,
        default=16,
        help='real scores before the predictor screens '
        '(16: after generation 1)')
    parser.add_argument('--oversample', type=int, default=4)
    parser.add_argument(
        '--generations',
        type=int,
        default=4,
        help='of every search (the demo: 4)')
    parser.add_argument(
        '--search-types',
        nargs='*',
        default=None,
        help='predictor searches to run (default: --types; '
        'none: the correlations only)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch threads (the CPU is shared)')
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def _config(name, work_dir, tag, options):
    from mmrazor_lite.apis import build_config
    cfg = build_config(osp.join(DEMO, name), work_dir)
    cfg.merge_from_dict(options)
    cfg.experiment_name = f'predictor_evaluations_{tag}_{time.time_ns()}'
    cfg.log_level = 'WARNING'
    return cfg


def supernet(work_dir: str) -> str:
    """The demo supernet's checkpoint, trained here unless it exists."""
    from mmrazor_lite.apis import build_runner
    ckpt = osp.join(work_dir, 'supernet', f'iter_{SUPERNET_ITERS}.pth')
    if not osp.isfile(ckpt):
        build_runner(
            _config('spos_supernet_shufflenetv2_digits.py', osp.dirname(ckpt),
                    'supernet', {})).train()
    return ckpt


def cache_scores(path: str, ckpt: str) -> dict:
    """Make every scorer read a path's score from the cache file ``path``
    once scored, keyed by supernet hash, seed and path; the cache."""
    from mmrazor_lite.engine.search.candidate_scorer import CandidateScorer
    from mmrazor_lite.engine.search.settings import file_sha256
    cache, score = {}, CandidateScorer.score
    if osp.isfile(path):
        with open(path) as f:
            cache = json.load(f)
    supernet = file_sha256(ckpt)[:16]

    def cached(self, choices):
        key = f'{supernet} {self.seed} {" ".join(choices.values())}'
        if key not in cache:
            cache[key] = score(self, choices)
            with open(path + '.tmp', 'w') as f:
                json.dump(cache, f)
            os.replace(path + '.tmp', path)
        return cache[key]

    CandidateScorer.score = cached
    return cache


def search(work_dir, ckpt, seed, predictor, generations):
    """``(scores in scoring order, decision choices)`` of one search."""
    from mmrazor_lite.apis import build_runner
    tag = predictor['type'] if predictor else 'plain'
    cfg = _config(
        'spos_search_digits.py', osp.join(work_dir, f'seed{seed}_{tag}'), tag,
        {
            'load_from': ckpt,
            'train_cfg.seed': seed,
            'train_cfg.max_epochs': generations,
            'train_cfg.overwrite': True,
            'train_cfg.predictor': predictor
        })
    runner = build_runner(cfg)
    runner.train()
    loop = runner.train_loop
    return OrderedDict(loop.scores), loop.choices


def evaluations_to_reach(scores, target):
    """1-based count of scores up to the first >= target (None: never)."""
    for n, score in enumerate(scores.values(), 1):
        if score >= target:
            return n
    return None


def held_out_correlation(kind, scores, choices, seed):
    """Spearman and Kendall of the predictor fitted on the first half."""
    from scipy.stats import kendalltau, spearmanr

    from mmrazor_lite.engine.search.score_predictor import ScorePredictor
    known = list(scores)
    half = len(known) // 2
    fit = OrderedDict((c, scores[c]) for c in known[:half])
    held = known[half:]
    predicted = ScorePredictor(
        type=kind, warmup=2).fit_predict(fit, held, choices, seed)
    real = [scores[c] for c in held]
    guess = [predicted[c] for c in held]
    return float(spearmanr(real, guess)[0]), float(kendalltau(real, guess)[0])


def best_at(runs, kind, seeds) -> dict:
    """Mean best score after each quarter of the evaluations."""
    out = OrderedDict()
    for quarter in (1, 2, 3, 4):
        firsts = [
            list(runs[s, kind].values())[:len(runs[s, kind]) * quarter // 4]
            for s in seeds
        ]
        out[len(firsts[0])] = _mean([max(f) for f in firsts])
    return out


def correlation(kind, runs, choices, seeds) -> dict:
    """Mean held-out Spearman / Kendall over the seeds' plain searches."""
    rhos = [
        held_out_correlation(kind, runs[s, 'plain'], choices, s) for s in seeds
    ]
    return OrderedDict(
        spearman=_mean([r[0] for r in rhos]),
        kendall=_mean([r[1] for r in rhos]))


def _mean(values):
    return round(statistics.mean(values), 3)


def main(argv=None):
    import torch
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.time()
    ckpt = supernet(args.work_dir)
    cache = cache_scores(osp.join(args.work_dir, 'score_cache.json'), ckpt)
    runs = {}  # (seed, type or 'plain') -> scores
    choices = None
    for seed in args.seeds:
        runs[seed, 'plain'], choices = search(args.work_dir, ckpt, seed, None,
                                              args.generations)
    searched = args.types if args.search_types is None \
        else args.search_types
    for seed in args.seeds:
        for kind in searched:
            runs[seed, kind], _ = search(
                args.work_dir, ckpt, seed,
                dict(
                    type=kind, warmup=args.warmup, oversample=args.oversample),
                args.generations)
    result = OrderedDict(
        command=' '.join(['predictor_evaluations.py'] + (argv or [])),
        generations=args.generations,
        warmup=args.warmup,
        oversample=args.oversample,
        seeds=args.seeds)
    targets = {s: max(runs[s, 'plain'].values()) for s in args.seeds}
    for kind in ['plain'] + list(args.types):
        if kind not in searched and kind != 'plain':
            result[kind] = correlation(kind, runs, choices, args.seeds)
            continue
        reached = {
            s: evaluations_to_reach(runs[s, kind], targets[s])
            for s in args.seeds
        }
        budget = {s: len(runs[s, kind]) for s in args.seeds}
        row = OrderedDict(
            evaluations=_mean([budget[s] for s in args.seeds]),
            to_plain_best=_mean([reached[s] or budget[s] for s in args.seeds]),
            seeds_reaching=[s for s in args.seeds if reached[s]],
            per_seed=[reached[s] for s in args.seeds],
            best=_mean([max(runs[s, kind].values()) for s in args.seeds]),
            best_at=best_at(runs, kind, args.seeds))
        if kind != 'plain':
            row.update(correlation(kind, runs, choices, args.seeds))
        result[kind] = row
    result['distinct_paths_scored'] = len(cache)
    result['wall_s'] = round(time.time() - start)
    print_result(result, args.json)


if __name__ == '__main__':
    main()
