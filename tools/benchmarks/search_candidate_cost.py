"""Cost of one evolution-search candidate: constraint check and scoring.

    python tools/benchmarks/search_candidate_cost.py [--device cpu|cuda]
        [--val-images 256] [--calib-images 256] [--batch 64] [--candidates 3]
        [--repeats 3] [--cache-data loaded|preprocessed] [--evaluator]
        [--amp] [--channels-last] [--json]

On the full-size SPOS ShuffleNetV2 supernet (224x224, 1000 classes), with
synthetic in-memory images (nothing is read from disk, so data loading is
not what is measured):

- **constraint check**: FLOPs + params of a random candidate from the
  :class:`ResourceTable` and the budget test, as the search does it (median
  over 2,000 candidates); the table's one-off build time is reported too;
- **scoring**: the search's :class:`CandidateScorer` through a real
  mmengine Runner (set path, BN re-estimation on ``--calib-images``,
  validation on ``--val-images`` under inference_mode, top-1/5 accuracy
  counted on the device, or with ``--evaluator`` through mmengine's
  evaluator and mmpretrain's Accuracy as before that optimisation);
- **pure cost**: the same BN re-estimation forwards and validation forwards
  on the plain fixed subnet of that path (no supernet, no runner, no
  metric), the floor scoring cannot go under.

Variants, applied to scoring and pure forwards alike: ``--amp`` runs both
under bf16 autocast (on CUDA; the scores then differ from fp32, which the
search keeps), ``--channels-last`` puts the models and the cached inputs in
channels-last memory format. A compiled variant is not offered: the
supernet changes its path per candidate, so ``torch.compile`` would
recompile for each one (about 20 decisions, 4 choices each).

For each of ``--candidates`` random candidates (after one warm-up
candidate) scoring and the pure forwards are timed ``--repeats`` times,
alternating (the machine's speed wanders between runs; alternating exposes
both to it alike); reported are the medians over all timings and their
ratio.
"""
import argparse
import os
import os.path as osp
import random
import statistics
import tempfile
import time

import numpy as np
from benchmark_report import alternate, describe_machine, print_result, timed

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CONFIG = osp.join(REPO, 'configs', 'nas', 'spos',
                         'spos_evolution_search_shufflenetv2_8xb2048_in1k.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--val-images', type=int, default=256)
    parser.add_argument('--calib-images', type=int, default=256)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--candidates', type=int, default=3)
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='timings of each per candidate, alternating')
    parser.add_argument(
        '--cache-data',
        choices=['loaded', 'preprocessed'],
        help="train_cfg.cache_data: True ('loaded') or "
        "'preprocessed' (default: the search config's)")
    parser.add_argument(
        '--evaluator',
        action='store_true',
        help='score through the evaluator (device_accuracy '
        'off)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='bf16 autocast around scoring and the pure '
        'forwards')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def register_synthetic_dataset():
    from mmpretrain.datasets import BaseDataset

    from mmrazor_lite.registry import DATASETS

    @DATASETS.register_module(force=True)
    class SyntheticImages(BaseDataset):
        """Random 224x224 uint8 images held in memory, 1000 classes."""
        METAINFO = {'classes': tuple(str(i) for i in range(1000))}

        def __init__(self, num=256, size=224, seed=0, **kwargs):
            self.num, self.size, self.seed = num, size, seed
            super().__init__(ann_file='', **kwargs)

        def load_data_list(self):
            rng = np.random.RandomState(self.seed)
            return [
                dict(
                    img=rng.randint(
                        0, 256, (self.size, self.size, 3), dtype=np.uint8),
                    gt_label=int(rng.randint(1000))) for _ in range(self.num)
            ]


def build_loop(args, work_dir):
    from mmengine.config import Config

    from mmrazor_lite.apis import build_runner
    cfg = Config.fromfile(SEARCH_CONFIG)
    pipeline = [dict(type='PackInputs')]
    for key, num, seed in (('dataloader', args.val_images, 1),
                           ('calibrate_dataloader', args.calib_images, 2)):
        cfg.train_cfg[key] = dict(
            batch_size=args.batch,
            num_workers=0,
            persistent_workers=False,
            dataset=dict(
                type='SyntheticImages', num=num, seed=seed, pipeline=pipeline),
            sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.train_cfg.calibrate_samples = args.calib_images
    cfg.train_cfg.seed = 0
    cfg.train_cfg.device_accuracy = not args.evaluator
    if args.cache_data:
        cfg.train_cfg.cache_data = (True if args.cache_data == 'loaded' else
                                    'preprocessed')
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    if args.device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    runner = build_runner(cfg)
    # the loop as Runner.train() builds it, without running it
    return runner, runner.train_loop


def time_constraint_check(loop, num=2000):
    from mmrazor_lite.estimators import ResourceTable
    start = time.perf_counter()
    loop.table = ResourceTable(loop.model.architecture, loop.mutator,
                               loop.input_shape, loop.flops_convention)
    build_s = time.perf_counter() - start
    rng = random.Random(0)
    candidates = [loop.mutator.sample_choices(rng) for _ in range(num)]
    times = []
    for choices in candidates:
        start = time.perf_counter()
        loop.budget.allows(loop.table, choices)
        times.append(time.perf_counter() - start)
    return build_s, statistics.median(times)


def pure_forwards(loop, candidate, device, channels_last=False):
    """A callable: BN re-estimation + validation forwards of the plain
    fixed subnet of ``candidate``, its inputs already preprocessed."""
    import copy

    import torch

    from mmrazor_lite.engine.search.bn_recalibration import (
        calibration_batches, recalibrate_bn)
    from mmrazor_lite.subnet import fix_model
    model = copy.deepcopy(loop.model.architecture)
    fix_model(model, candidate)
    model.to(device).eval()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    preprocess = loop.model.data_preprocessor
    scorer = loop.scorer
    calib = [
        preprocess(b, False)['inputs'] for b in calibration_batches(
            scorer.calibrate_dataloader, scorer.calibrate_samples, scorer.seed)
    ]
    val = [preprocess(b, False)['inputs'] for b in scorer.dataloader]
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    calib = [x.to(device, memory_format=fmt) for x in calib]
    val = [x.to(device, memory_format=fmt) for x in val]

    def run():
        recalibrate_bn(model, calib, lambda x: model(x, mode='tensor'))
        with torch.inference_mode():
            for x in val:
                model(x, mode='tensor')

    return run


def main(argv=None):
    args = parse_args(argv)
    import torch

    import mmrazor_lite  # noqa: F401
    register_synthetic_dataset()
    with tempfile.TemporaryDirectory() as work_dir:
        runner, loop = build_loop(args, work_dir)
        build_s, check_s = time_constraint_check(loop)
        sync = torch.cuda.synchronize if args.device == 'cuda' else \
            (lambda: None)
        if args.channels_last:
            loop.model.to(memory_format=torch.channels_last)

        def autocast(fn):

            def run():
                with torch.autocast(
                        args.device, dtype=torch.bfloat16, enabled=args.amp):
                    fn()

            return run

        rng = random.Random(1)
        times = [[], []]  # scoring, pure: of every candidate
        for i in range(args.candidates + 1):
            candidate = loop.mutator.sample_choices(rng)
            score_once = autocast(lambda c=candidate: loop.scorer.score(c))
            if i == 0:  # loads and caches the images; not timed
                timed(score_once, sync)
                continue
            pure_once = autocast(
                pure_forwards(loop, candidate, args.device,
                              args.channels_last))
            # alternate: the 2-core machine's speed wanders by +-10 % from
            # one 6 s run to the next, so both see the same conditions
            score, pure = alternate([score_once, pure_once],
                                    args.repeats,
                                    sync=sync,
                                    times=times)
    result = dict(
        device=args.device,
        **describe_machine(args.device),
        val_images=args.val_images,
        calib_images=args.calib_images,
        batch=args.batch,
        repeats=args.repeats,
        cache_data=loop.scorer.cache_data,
        accuracy='evaluator' if args.evaluator else 'device',
        amp=args.amp,
        channels_last=args.channels_last,
        table_build_s=round(build_s, 2),
        constraint_check_ms=round(check_s * 1e3, 4),
        scoring_s=round(score, 3),
        pure_s=round(pure, 3),
        scoring_over_pure=round(score / pure, 3))
    print_result(result, args.json)
    return result


if __name__ == '__main__':
    main()
