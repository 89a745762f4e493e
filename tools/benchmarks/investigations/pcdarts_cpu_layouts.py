"""The op-level measurements behind the fused PC-DARTS cell's CPU layouts.

    python tools/benchmarks/investigations/pcdarts_cpu_layouts.py
        [--repeats 10] [--batch 64] [--json]

For the shapes of ``pcdarts_search_1xb256_cifar10.py`` at K=4 (4 edges of
4 channels at 32x32, of 8 at 16x16, of 16 at 8x8), forward + backward of
each op in the layouts the cell could use, the variants alternating and
the median of ``--repeats`` kept:

- ``depthwise``: a 5x5 / 3x3 depthwise conv on NCHW vs channels-last;
- ``dilated``: a dilation-2 stride-1 depthwise conv on channels-last vs
  the undilated conv on its polyphase components (the conversions
  included);
- ``pointwise``: the E 1x1 convs as a grouped conv on NCHW, on
  channels-last, and as one batched matmul on NCHW, with the relative
  error of each weight gradient against float64;
- ``pool``: 3x3 max pooling on NCHW vs channels-last;
- ``batch_norm``: training-mode BN on NCHW vs channels-last.

Every figure is milliseconds of wall clock for one forward + backward
(docs/benchmarks.md quotes them).
"""
import argparse
import json
import os.path as osp
import sys

import torch
import torch.nn.functional as F

from mmrazor_lite.ops.polyphase import from_polyphase, to_polyphase

if __name__ == '__main__':  # run as a file: the shared module is one up
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from benchmark_report import alternate, describe_machine  # noqa: E402

CL = torch.channels_last
# (edges, channels per edge, size) of the cells at 32x32, 16x16, 8x8
SHAPES = ((4, 4, 32), (4, 8, 16), (4, 16, 8))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def _median_ms(variants, repeats):
    """Alternate the callables; median milliseconds of each (one warm-up
    round first)."""
    return {
        name: round(seconds * 1e3, 3)
        for name, seconds in alternate(variants, repeats, warmup=1).items()
    }


def _leaf(x, memory_format=torch.contiguous_format):
    return x.contiguous(memory_format=memory_format).requires_grad_()


def _nchw_vs_channels_last(x, op, repeats):
    """``op`` forward + backward on ``x`` in NCHW and in channels-last
    memory, alternating (median ms of each)."""

    def run(memory_format):
        op(_leaf(x, memory_format)).sum().backward()

    return _median_ms(
        dict(
            nchw=lambda: run(torch.contiguous_format),
            channels_last=lambda: run(CL)), repeats)


def depthwise(batch, repeats):
    rows = []
    for edges, channels, size in SHAPES:
        c = edges * channels
        x = torch.randn(batch, c, size, size)
        for k in (5, 3):
            w = torch.randn(c, 1, k, k, requires_grad=True)
            rows.append(
                dict(
                    channels=c,
                    size=size,
                    kernel=k,
                    **_nchw_vs_channels_last(
                        x, lambda t: F.conv2d(t, w, None, 1, k // 2, 1, c),
                        repeats)))
    return rows


def dilated(batch, repeats):
    rows = []
    for edges, channels, size in SHAPES:
        c = edges * channels
        x = torch.randn(batch, c, size, size)
        for k in (5, 3):
            w = torch.randn(c, 1, k, k, requires_grad=True)
            r = k // 2

            def plain(x=x, w=w, r=r, c=c):
                F.conv2d(_leaf(x, CL), w, None, 1, 2 * r, 2,
                         c).contiguous().sum().backward()

            def polyphase(x=x, w=w, r=r, c=c):
                y = F.conv2d(to_polyphase(_leaf(x, CL)), w, None, 1, r, 1, c)
                from_polyphase(y, batch).sum().backward()

            rows.append(
                dict(
                    channels=c,
                    size=size,
                    kernel=k,
                    **_median_ms(
                        dict(dilated=plain, polyphase=polyphase), repeats)))
    return rows


def pointwise(batch, repeats):
    rows = []
    for edges, channels, size in SHAPES:
        c = edges * channels
        x = torch.randn(batch, c, size, size)
        grad = torch.randn(batch, c, size, size)
        grad = grad - grad.mean((0, 2, 3), keepdim=True)  # as after a BN
        w = torch.randn(c, channels, 1, 1, requires_grad=True)
        got = {}

        def conv(fmt, name, x=x, w=w, grad=grad):
            w.grad = None
            F.conv2d(_leaf(x, fmt), w, None, 1, 0, 1,
                     edges).backward(grad.contiguous(memory_format=fmt))
            got[name] = w.grad.clone()

        def matmul(x=x, w=w, grad=grad, channels=channels, size=size):
            w.grad = None
            out = torch.matmul(
                w.view(edges, channels, channels),
                _leaf(x).view(batch, edges, channels, size * size))
            out.view(batch, c, size, size).backward(grad)
            got['matmul'] = w.grad.clone()

        row = dict(
            channels=c,
            size=size,
            **_median_ms(
                dict(
                    grouped_nchw=lambda: conv(torch.contiguous_format,
                                              'grouped_nchw'),
                    grouped_channels_last=lambda: conv(
                        CL, 'grouped_channels_last'),
                    matmul=matmul), repeats))
        exact = w.detach().double().requires_grad_()
        F.conv2d(x.double(), exact, None, 1, 0, 1,
                 edges).backward(grad.double())
        for name, value in got.items():
            row[f'{name}_weight_grad_error'] = float(
                (value.double() - exact.grad).abs().max() /
                exact.grad.abs().max())
        rows.append(row)
    return rows


def pool(batch, repeats):
    return [
        dict(
            channels=channels,
            size=size,
            **_nchw_vs_channels_last(
                torch.randn(batch, channels, size, size),
                lambda t: F.max_pool2d(t, 3, 1, 1), repeats))
        for _, channels, size in SHAPES
    ]


def batch_norm(batch, repeats):
    return [
        dict(
            channels=edges * channels,
            size=size,
            **_nchw_vs_channels_last(
                torch.randn(batch, edges * channels, size, size),
                lambda t: F.batch_norm(t, None, None, training=True), repeats))
        for edges, channels, size in SHAPES
    ]


MEASUREMENTS = dict(
    depthwise=depthwise,
    dilated=dilated,
    pointwise=pointwise,
    pool=pool,
    batch_norm=batch_norm)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(0)
    result = dict(
        describe_machine('cpu'), batch=args.batch, repeats=args.repeats)
    for name, measure in MEASUREMENTS.items():
        result[name] = measure(args.batch, args.repeats)
    if args.json:
        print(json.dumps(result))
        return result
    print(f"torch {result['torch']}, {result['threads']} threads, batch "
          f"{args.batch}, forward + backward, median ms of {args.repeats}")
    for name in MEASUREMENTS:
        print(f'\n{name}:')
        for row in result[name]:
            print('  ' + ', '.join(
                f'{k} {v:.3g}' if isinstance(v, float) else f'{k} {v}'
                for k, v in row.items()))
    return result


if __name__ == '__main__':
    main()
