"""SPOS supernet overhead: a supernet train step vs the plain subnet's.

    python tools/benchmarks/supernet_overhead.py [--device cpu|cuda]
        [--batch 16] [--size 224] [--steps 10] [--warmup 3] [--amp]
        [--channels-last] [--json]

The full-size SPOS ShuffleNetV2 supernet (1000 classes) takes training
steps through the real code path (``SPOS.train_step`` with an mmengine
``OptimWrapper``, SGD momentum 0.9, wd 4e-5), a new random path every step.
Every candidate op is run once first (each choice index in every block),
so no timed step pays a first-use cost the subnets do not. For every path
it took, the standalone subnet of that path (``FixedSubnet``: only the
chosen ops, plain modules) takes the same step on the same batch, after a
warm-up step of its own, right after the supernet's step (alternating, so
that a drift of the machine's speed hits both alike).
Reported: the median step time of each (after ``--warmup`` steps), their
ratio (the limit is 1.00) and images per second.
"""
import argparse
import os.path as osp
import sys

from benchmark_report import (alternate, describe_machine, print_result,
                              self_timed, timed)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUPERNET_CONFIG = osp.join(REPO, 'configs', 'nas', 'spos',
                           'spos_supernet_shufflenetv2_8xb128_in1k.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision (AmpOptimWrapper, CUDA)')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def _batch(args, device):
    import torch
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(
            0, 256, (3, args.size, args.size), dtype=torch.uint8, generator=g)
        for _ in range(args.batch)
    ]
    labels = torch.randint(0, 1000, (args.batch, ), generator=g).tolist()
    return dict(
        inputs=inputs,
        data_samples=[DataSample().set_gt_label(y) for y in labels])


def _wrapper(model, args):
    from mmengine.optim import build_optim_wrapper
    return build_optim_wrapper(
        model,
        dict(
            type='AmpOptimWrapper' if args.amp else 'OptimWrapper',
            optimizer=dict(
                type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5)))


def _prepare(model, args, device):
    import torch
    model.to(device)
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    return model.train()


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.registry import MODELS
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if args.device == 'cuda' else \
        (lambda: None)
    init_default_scope('mmrazor_lite')
    cfg = Config.fromfile(SUPERNET_CONFIG)
    torch.manual_seed(0)
    supernet = _prepare(MODELS.build(cfg.model), args, device)
    supernet.init_weights()
    optim = _wrapper(supernet, args)
    data = _batch(args, device)

    # every (block, choice) once first, as after the first iterations of a
    # real run: kernels chosen / compiled for each op are then warm, as they
    # are for each subnet after its own warm-up step
    names = list(supernet.mutator.choices.items())
    for i in range(max(len(v) for _, v in names)):
        supernet.mutator.set_choices({
            k: v[min(i,
                     len(v) - 1)]
            for k, v in names
        })
        supernet.architecture.train_step(data, optim)

    # Supernet and subnet steps alternate, path by path: on a shared
    # machine the speed drifts over a minute, and timing all supernet steps
    # before all subnet steps put that drift into the ratio (0.99-1.07 on
    # the 2-core machine; 1.00-1.01 alternated).
    def supernet_step():
        return timed(lambda: supernet.train_step(data, optim), sync)

    def subnet_step():  # the path the supernet's step just took
        path = dict(supernet.mutator.current_choices())
        subnet = MODELS.build(
            dict(
                type='FixedSubnet',
                architecture=cfg.model.architecture,
                fix_subnet=path,
                data_preprocessor=cfg.data_preprocessor))
        subnet = _prepare(subnet, args, device)
        sub_optim = _wrapper(subnet, args)
        subnet.train_step(data, sub_optim)  # its own warm-up
        return timed(lambda: subnet.train_step(data, sub_optim), sync)

    sup, sub = alternate([supernet_step, subnet_step],
                         args.steps,
                         args.warmup,
                         timer=self_timed)
    result = dict(
        device=args.device,
        **describe_machine(args.device),
        batch=args.batch,
        size=args.size,
        amp=args.amp,
        channels_last=args.channels_last,
        supernet_step_s=round(sup, 4),
        subnet_step_s=round(sub, 4),
        supernet_over_subnet=round(sup / sub, 3),
        supernet_img_per_s=round(args.batch / sup, 1),
        subnet_img_per_s=round(args.batch / sub, 1))
    print_result(result, args.json)
    return result


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
