"""``pcdarts_search_step.py --fuse-compare``: fused vs edge-by-edge cells.

Both models (``fuse_edges=True`` / ``False``, same seed, same batches) are
built in one process and their steps alternate, old then new, so that the
drift of a shared, busy machine falls on both alike; medians of each and
the ratio old / new are reported, for the weight step and then the
architecture step. Peak memory cannot be measured that way (``ru_maxrss``
is a process-wide high-water mark that cannot be reset): each path runs
once more in its own process (``--steps 1``) for its peak memory.

A one-off (the numbers are in docs/benchmarks.md), run through
``pcdarts_search_step.py``, whose folder is then on ``sys.path``.
"""
import json
import os.path as osp
import subprocess
import sys

import pcdarts_search_step as bench
from benchmark_report import alternate, describe_machine

#: tools/benchmarks/, where pcdarts_search_step.py is
BENCHMARKS = osp.dirname(osp.dirname(osp.abspath(__file__)))
PATHS = (('edge by edge', False), ('fused', True))


def _memory(args, fuse):
    """Peak memory of one path, in a fresh process."""
    cmd = [
        sys.executable,
        osp.join(BENCHMARKS, 'pcdarts_search_step.py'), '--json', '--k',
        str(args.k), '--batch',
        str(args.batch), '--size',
        str(args.size), '--device', args.device, '--order', args.order,
        '--steps', '1', '--warmup',
        str(min(args.warmup, 1))
    ]
    if not fuse:
        cmd.append('--no-fuse')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f'{" ".join(cmd)} failed with exit code '
                         f'{proc.returncode}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fuse_compare(args):
    """The comparison; returns (and prints, as JSON or a table) the
    result."""
    import torch
    cuda = args.device == 'cuda'
    if cuda and not torch.cuda.is_available():
        raise SystemExit('--device cuda: CUDA is not available')
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    models = []
    for _, fuse in PATHS:
        torch.manual_seed(0)
        args.fuse = fuse
        models.append(bench.build(args))
    generator = torch.Generator().manual_seed(0)
    batch = bench.make_batch(args, generator)
    batch2 = bench.make_batch(args, generator)
    weight = alternate([
        lambda m=m, w=w: m.train_step(dict(weights=batch, arch=None), w)
        for m, w in models
    ], args.steps, args.warmup, sync)
    arch = alternate([
        lambda m=m, w=w: m._arch_step(dict(weights=batch, arch=batch2), w)
        for m, w in models
    ], args.steps, args.warmup, sync)
    del models
    memory = [_memory(args, fuse) for _, fuse in PATHS]
    result = dict(
        k=args.k,
        order=args.order,
        batch=args.batch,
        size=args.size,
        device=args.device,
        **describe_machine(args.device),
        steps=args.steps,
        warmup=args.warmup,
        mem_kind=memory[0]['mem_kind'])
    for (name, fuse), w, a, mem in zip(PATHS, weight, arch, memory):
        key = 'fused' if fuse else 'unfused'
        result.update({
            f'{key}_weight_step_s': round(w, 4),
            f'{key}_arch_step_s': round(a, 4),
            f'{key}_peak_mem_gib': mem['peak_mem_gib'],
            f'{key}_step_mem_gib': mem['step_mem_gib']
        })
    result['weight_step_ratio'] = round(weight[0] / weight[1], 3)
    result['arch_step_ratio'] = round(arch[0] / arch[1], 3)
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    return result


def _print_table(r):
    mem = 'peak CUDA mem' if r['mem_kind'] == 'cuda_allocated' \
        else 'peak RSS'
    print(f"{r['device_name']}, torch {r['torch']}, {r['threads']} threads, "
          f"K={r['k']}, batch {r['batch']}, {r['size']}x{r['size']}, "
          f"{r['order']} order; medians of {r['steps']} alternating steps "
          f"after {r['warmup']} warm-up")
    print()
    print(f'| cell | weight step s | arch step s | {mem} GiB '
          f'| step memory GiB |')
    print('| --- | --- | --- | --- | --- |')
    for name, fuse in PATHS:
        key = 'fused' if fuse else 'unfused'
        print(f"| {name} | {r[key + '_weight_step_s']:.3f} | "
              f"{r[key + '_arch_step_s']:.3f} | "
              f"{r[key + '_peak_mem_gib']:.2f} | "
              f"{r[key + '_step_mem_gib']:.2f} |")
    print()
    print(f"edge by edge / fused: weight step {r['weight_step_ratio']:.2f}x, "
          f"arch step {r['arch_step_ratio']:.2f}x")
