"""The SPOS demo on real data, on CPU, in minutes.

    python tools/demo.py [--work-dir DIR] [--iters N]

Trains the SPOS ShuffleNetV2 supernet (widen 0.5) on scikit-learn's digits
(1,797 real 8x8 images shipped with the package, upsampled to 32x32) through
the same config machinery as the ImageNet pipeline
(``configs/demo/spos_supernet_shufflenetv2_digits.py``), then scores a few
random paths of the trained supernet on the held-out test split, each after
re-estimating its BN statistics on the training images (as SPOS scores a
path). Chance is 10 %.
"""
import argparse
import os.path as osp
import random
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
DEMO_CONFIG = osp.join(HERE, '..', 'configs', 'demo',
                       'spos_supernet_shufflenetv2_digits.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo_spos_digits')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (config default: 1000)')
    parser.add_argument('--paths', type=int, default=3,
                        help='random paths to score after training')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from train import build_config, build_runner

    from mmrazor_lite.engine.bn_recalibration import recalibrate_bn
    train_args = argparse.Namespace(
        config=DEMO_CONFIG, work_dir=args.work_dir, cfg_options=None,
        launcher='none', resume=None, amp=False, auto_scale_lr=False)
    cfg = build_config(train_args)
    if args.iters:
        cfg.train_cfg.max_iters = args.iters
        cfg.train_cfg.val_interval = args.iters
        cfg.param_scheduler[0].end = args.iters
        cfg.default_hooks.checkpoint.interval = args.iters
    start = time.time()
    runner = build_runner(cfg)
    runner.train()
    print(f'\n[demo] supernet trained in {time.time() - start:.0f} s')

    model = runner.model
    rng = random.Random(0)
    accs = []
    for i in range(args.paths):
        choices = model.mutator.sample_choices(rng)
        model.mutator.set_choices(choices)
        # as SPOS scores a path: BN statistics re-estimated for this path
        recalibrate_bn(
            model.architecture, runner.train_dataloader,
            lambda batch: model(**model.data_preprocessor(batch, False)))
        top1 = runner.test()['accuracy/top1']
        accs.append(top1)
        short = ' '.join(c.replace('shuffle_', '') for c in choices.values())
        print(f'[demo] path {i}: test top-1 {top1:.1f} %  ({short})')
    mean = sum(accs) / len(accs)
    print(f'[demo] mean test top-1 over {len(accs)} random paths: '
          f'{mean:.1f} % (chance: 10.0 %)')
    return mean


if __name__ == '__main__':
    main()
