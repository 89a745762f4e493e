"""Peak memory and time of one PC-DARTS / DARTS search step.

    python tools/benchmarks/pcdarts_search_step.py [--k 4] [--batch 64]
        [--size 32] [--device cpu|cuda] [--steps 3] [--warmup 1]
        [--order first|second] [--no-fuse] [--amp] [--channels-last]
        [--compile] [--json]
    python tools/benchmarks/pcdarts_search_step.py --compare [options]
    python tools/benchmarks/pcdarts_search_step.py --fuse-compare [options]

The model is our ``DARTS`` algorithm as
``configs/nas/pcdarts/pcdarts_search_1xb256_cifar10.py`` builds it (8 cells,
16 channels, 10 classes), with ``k`` = ``--k`` (edge normalisation for
``k > 1``, i.e. PC-DARTS; none for ``k = 1``, i.e. DARTS) and the optim
wrappers of that config. Batches are random uint8 images in memory.

Timed separately, each the median over ``--steps`` after ``--warmup``:

- **weight step**: ``train_step(dict(weights=B, arch=None))``;
- **arch step**: ``_arch_step(dict(weights=B, arch=B2))`` alone (first or,
  with ``--order second``, second order);
- **full step**: ``train_step(dict(weights=B, arch=B2))``.

Memory: on CPU the process's peak RSS (``ru_maxrss``, a process-wide
high-water mark) and *step memory* = peak - the RSS once the model and
optimizers are built, i.e. what the steps add (activations, gradients,
optimizer state). Per phase, the high-water mark after it is reported too
(phases run weight -> arch -> full, so each includes those before). On
CUDA, ``max_memory_allocated`` per phase against the allocated memory
before the steps. ``--compare`` runs K=4 and K=1 each in its own process,
since a high-water mark cannot be reset.

The search cells compute the edges leaving a state together
(``fuse_edges=True``, the default); ``--no-fuse`` runs them edge by edge.
Variants (for CUDA; ``run_all.py --device cuda`` runs them): ``--amp``
runs the steps under bf16 autocast, ``--channels-last`` puts the model and
its input in channels-last memory format, ``--compile`` wraps the search
network in ``torch.compile`` (refused on CPU: compiling the 8-cell
network there takes many minutes and is not a CPU use case).
``--fuse-compare`` builds both in one process and alternates their weight
steps, then their arch steps (medians and ratio), and measures each one's
peak memory in its own process (see
``investigations/pcdarts_fuse_compare.py``).
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys

from benchmark_report import alternate, describe_machine, print_result

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                  'pcdarts_search_1xb256_cifar10.py')
GIB = 1024**3
PHASES = ('weight', 'arch', 'full')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--k', type=int, default=4)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--order', default='first', choices=['first', 'second'])
    parser.add_argument('--json', action='store_true')
    parser.add_argument(
        '--compare',
        action='store_true',
        help='run --k 4 and --k 1 in subprocesses, print a '
        'markdown table')
    parser.add_argument(
        '--no-fuse',
        dest='fuse',
        action='store_false',
        help='edge-by-edge search cells (fuse_edges=False)')
    parser.add_argument(
        '--amp', action='store_true', help='bf16 autocast around every step')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='model and input in channels-last format')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the search network (CUDA)')
    parser.add_argument(
        '--fuse-compare',
        action='store_true',
        help='fused vs edge-by-edge cells, steps alternating '
        'in one process; memory of each in its own')
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        parser.error('--steps must be >= 1 and --warmup >= 0')
    if args.compile and args.device != 'cuda':
        parser.error('--compile is measured on --device cuda only (on CPU '
                     'compiling the 8-cell search network takes many '
                     'minutes)')
    return args


def current_rss():
    """Resident set size now, in bytes (VmRSS; ru_maxrss is only a peak)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return peak_rss()


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build(args):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmrazor_lite.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    backbone = cfg.model.architecture.backbone
    backbone.k = args.k
    backbone.edge_normalisation = args.k > 1
    if not getattr(args, 'fuse', True):  # the default: fused
        backbone.fuse_edges = False  # (not set: older checkouts lack it)
    cfg.model.unroll = args.order == 'second'
    # what the Runner does: the dataset's normalisation goes to the model
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    init_default_scope('mmrazor_lite')
    model = MODELS.build(cfg.model).to(args.device)
    model.train()
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    backbone = model.architecture.backbone
    if getattr(args, 'channels_last', False):
        import torch
        model.to(memory_format=torch.channels_last)
        backbone.register_forward_pre_hook(lambda _, inputs: (inputs[
            0].contiguous(memory_format=torch.channels_last), *inputs[1:]))
    if getattr(args, 'compile', False):
        import torch
        model.architecture.backbone = torch.compile(backbone)
    return model, wrappers


def make_batch(args, generator):
    import torch
    from mmpretrain.structures import DataSample
    images = torch.randint(
        0,
        256, (args.batch, 3, args.size, args.size),
        dtype=torch.uint8,
        generator=generator)
    labels = torch.randint(0, 10, (args.batch, ), generator=generator)
    return dict(
        inputs=list(images),
        data_samples=[
            DataSample().set_gt_label(int(label)) for label in labels
        ])


def _under_bf16(fn, device):
    import torch
    with torch.autocast(device, dtype=torch.bfloat16):
        return fn()


def run(args):
    import torch
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: CUDA is not available')
    cuda = args.device == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    model, wrappers = build(args)
    generator = torch.Generator().manual_seed(0)
    batch, batch2 = make_batch(args, generator), make_batch(args, generator)
    steps = dict(
        weight=lambda: model.train_step(
            dict(weights=batch, arch=None), wrappers),
        arch=lambda: model._arch_step(
            dict(weights=batch, arch=batch2), wrappers),
        full=lambda: model.train_step(
            dict(weights=batch, arch=batch2), wrappers))

    sync()
    if cuda:
        baseline = torch.cuda.memory_allocated()
    else:
        baseline = current_rss()
        build_peak = peak_rss()
    times, peaks = {}, {}
    if args.amp:
        for phase, fn in list(steps.items()):
            steps[phase] = lambda fn=fn: _under_bf16(fn, args.device)
    for phase in PHASES:
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        (times[phase], ) = alternate([steps[phase]], args.steps, args.warmup,
                                     sync)
        peaks[phase] = torch.cuda.max_memory_allocated() if cuda \
            else peak_rss()
    peak = max(peaks.values())

    result = dict(
        k=args.k,
        order=args.order,
        fuse_edges=args.fuse,
        amp=args.amp,
        channels_last=args.channels_last,
        compile=args.compile,
        batch=args.batch,
        size=args.size,
        device=args.device,
        **describe_machine(args.device),
        steps=args.steps,
        warmup=args.warmup,
        params=sum(p.numel() for p in model.architecture.parameters()),
        mem_kind='cuda_allocated' if cuda else 'rss')
    for phase in PHASES:
        result[f'{phase}_step_s'] = round(times[phase], 4)
    result.update(
        peak_mem_gib=round(peak / GIB, 3),
        baseline_mem_gib=round(baseline / GIB, 3),
        step_mem_gib=round((peak - baseline) / GIB, 3))
    for phase in PHASES:
        result[f'{phase}_step_mem_gib'] = round(
            (peaks[phase] - baseline) / GIB, 3)
    if not cuda:
        # a build peak above the steps' would hide the steps' memory
        result['build_peak_rss_gib'] = round(build_peak / GIB, 3)
    return result


def compare(args):
    """Each K in its own process: ru_maxrss is a process-wide peak."""
    passed = []
    for name in ('batch', 'size', 'device', 'steps', 'warmup', 'order'):
        passed += [f'--{name}', str(getattr(args, name))]
    if not args.fuse:
        passed.append('--no-fuse')
    results = []
    for k in (4, 1):
        proc = subprocess.run([
            sys.executable,
            osp.abspath(__file__), '--k',
            str(k), '--json', *passed
        ],
                              capture_output=True,
                              text=True)
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f'--k {k} failed with exit code '
                             f'{proc.returncode}')
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    first = results[0]
    mem = 'peak CUDA mem' if first['mem_kind'] == 'cuda_allocated' \
        else 'peak RSS'
    print(f"{first['device_name']}, torch {first['torch']}, "
          f"{first['threads']} threads, batch {first['batch']}, "
          f"{first['size']}x{first['size']}, {first['order']} order")
    print()
    print(f'| K | weight step s | arch step s | full step s | {mem} GiB '
          f'| step memory GiB |')
    print('|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['k']} | {r['weight_step_s']:.3f} | "
              f"{r['arch_step_s']:.3f} | {r['full_step_s']:.3f} | "
              f"{r['peak_mem_gib']:.2f} | {r['step_mem_gib']:.2f} |")
    k4, k1 = results
    print()
    print(f"K=4 / K=1 step memory: "
          f"{k4['step_mem_gib'] / k1['step_mem_gib']:.2f} "
          f"(peak: {k4['peak_mem_gib'] / k1['peak_mem_gib']:.2f})")
    return results


def main(argv=None):
    args = parse_args(argv)
    if args.compare:
        return compare(args)
    if args.fuse_compare:
        from investigations.pcdarts_fuse_compare import fuse_compare
        return fuse_compare(args)
    result = run(args)
    print_result(result, args.json)
    return result


if __name__ == '__main__':
    main()
