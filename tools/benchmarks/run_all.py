"""Run every benchmark, each in its own process, and record the table.

    python tools/benchmarks/run_all.py [--device cpu|cuda]
        [--out docs/benchmarks.md] [--no-write]

Benchmarks (each also runs alone; see its docstring):

- ``supernet_overhead.py``: SPOS supernet train step vs the plain subnet of
  the same path (batch 16, 224 px, 1000 classes);
- ``search_candidate_cost.py``: evolution-search constraint check and
  scoring per candidate vs the bare forwards (256 + 256 images, 224 px);
- ``accuracy_bookkeeping.py``: turning 2048 images' logits into top-1/5
  accuracy through mmengine's evaluator vs on the device;
- ``pcdarts_search_step.py``: PC-DARTS (K=4) and DARTS (K=1) search steps,
  time and memory (batch 64, 32 px), K=4 and K=1 in separate processes;
  on ``--device cuda`` also the K=4 step under bf16 autocast, in
  channels-last format and ``torch.compile``-d (skipped on CPU, with the
  reason printed: bf16 autocast and channels-last are GPU levers, and
  compiling the search network on CPU takes many minutes); and the search
  scoring under bf16 autocast and in channels-last format (CUDA only, as
  above; a compiled scorer is not offered: the supernet changes its path
  per candidate, see ``search_candidate_cost.py``).

Separate processes keep each one's peak memory its own. The markdown table
(measure, value, target, met) is printed and, unless ``--no-write``,
appended to ``--out`` with the machine, torch version, thread count, the
command and the date. The CPU defaults finish in about 5 minutes on 2 cores.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--out', default=osp.join(REPO, 'docs', 'benchmarks.md'))
    parser.add_argument(
        '--no-write', action='store_true', help='print the table only')
    return parser.parse_args(argv)


def run_json(script, *args):
    """Run ``script --json ARGS`` in a fresh process; its last JSON line."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([REPO, env.get('PYTHONPATH', '')])
    cmd = [sys.executable, osp.join(HERE, script), '--json', *args]
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed:\n{proc.stderr[-3000:]}')
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{')]
    if not lines:
        raise RuntimeError(f'{script} printed no JSON:\n{proc.stdout[-2000:]}')
    return json.loads(lines[-1])


def machine(device: str) -> str:
    """The ``Machine:`` line of the section: CPU (and GPU), torch,
    threads, Python."""
    import torch
    from benchmark_report import describe_machine
    cpu = describe_machine('cpu')
    desc = cpu['device_name']
    if device == 'cuda' and torch.cuda.is_available():
        desc += f", {describe_machine('cuda')['device_name']}"
    return (f"{desc}; torch {cpu['torch']}, {cpu['threads']} threads, "
            f'Python {platform.python_version()}')


def collect(device: str):
    """``(rows, raw)``: table rows (measure, value, target, met)."""
    dev = ['--device', device]
    spos = run_json('supernet_overhead.py', *dev)
    search = run_json('search_candidate_cost.py', *dev)
    accuracy = run_json('accuracy_bookkeeping.py', *dev)
    steps = ['--steps', '2', '--warmup', '1'] if device == 'cpu' else []
    k4 = run_json('pcdarts_search_step.py', '--k', '4', *dev, *steps)
    k1 = run_json('pcdarts_search_step.py', '--k', '1', *dev, *steps)
    mem_ratio = k4['step_mem_gib'] / k1['step_mem_gib']
    variants = pcdarts_variants(device, dev, steps)
    scoring = scoring_variants(device, dev)
    rows = [
        ('SPOS supernet step (batch 16, 224 px)',
         f'{spos["supernet_step_s"]:.3f} s ({spos["supernet_img_per_s"]} '
         f'img/s)', 'MMRazor 1.0: 0.75 s (~21 img/s) on 2 CPU cores', None),
        ('SPOS plain subnet step, same paths',
         f'{spos["subnet_step_s"]:.3f} s ({spos["subnet_img_per_s"]} img/s)',
         '', None),
        ('supernet / subnet step', f'{spos["supernet_over_subnet"]:.3f}',
         '<= 1.05 (limit 1.00)', spos['supernet_over_subnet'] <= 1.05),
        ('search: constraint check per candidate',
         f'{search["constraint_check_ms"]:.4f} ms', '< 1 ms (MMRazor: ~300 '
         'ms)', search['constraint_check_ms'] < 1.0),
        ('search: scoring per candidate (256 + 256 images)',
         f'{search["scoring_s"]:.2f} s', 'MMRazor 1.0: 8.0 s on 2 CPU cores',
         None),
        ('search: scoring / pure forwards',
         f'{search["scoring_over_pure"]:.3f}', '<= 1.10',
         search['scoring_over_pure'] <= 1.10),
        ('search: accuracy per 1000 images, evaluator / on device',
         f'{accuracy["evaluator_ms_per_1000"]:.1f} ms / '
         f'{accuracy["device_ms_per_1000"]:.1f} ms', 'the search counts on '
         'the device', None),
        ('PC-DARTS K=4 weight / arch step (batch 64, 32 px)',
         f'{k4["weight_step_s"]:.2f} s / {k4["arch_step_s"]:.2f} s',
         'reference: ~4.4 s weight step on 2 CPU cores', None),
        ('PC-DARTS K=4 peak memory', f'{k4["peak_mem_gib"]:.2f} GiB',
         'reference: 3.6 GiB RSS', None),
        ('DARTS K=1 weight / arch step',
         f'{k1["weight_step_s"]:.2f} s / {k1["arch_step_s"]:.2f} s', '', None),
        ('DARTS K=1 peak memory', f'{k1["peak_mem_gib"]:.2f} GiB',
         'reference: ~10 GiB RSS', None),
        ('K=4 / K=1 step memory', f'{mem_ratio:.2f}', '< 0.5', mem_ratio
         < 0.5),
    ]
    for name, result in variants.items():
        value = 'skipped on CPU (CUDA variant)' if result is None else (
            f'{result["weight_step_s"]:.3f} s / {result["arch_step_s"]:.3f}'
            f' s, {result["peak_mem_gib"]:.2f} GiB')
        rows.append((f'PC-DARTS K=4 weight / arch step, peak, {name}', value,
                     f'fp32: {k4["weight_step_s"]:.3f} s / '
                     f'{k4["arch_step_s"]:.3f} s', None))
    for name, result in scoring.items():
        value = 'skipped on CPU (CUDA variant)' if result is None else (
            f'{result["scoring_s"]:.3f} s, scoring / pure '
            f'{result["scoring_over_pure"]:.3f}')
        rows.append((f'search: scoring per candidate, {name}', value,
                     f'fp32: {search["scoring_s"]:.2f} s', None))
    return rows, dict(
        spos=spos,
        search=search,
        accuracy=accuracy,
        pcdarts_k4=k4,
        darts_k1=k1,
        pcdarts_k4_variants=variants,
        scoring_variants=scoring)


#: PC-DARTS step variants: name -> extra arguments of pcdarts_search_step.py
PCDARTS_VARIANTS = {
    'bf16 autocast': ['--amp'],
    'channels-last': ['--channels-last'],
    'torch.compile': ['--compile']
}


def pcdarts_variants(device, dev, steps):
    """K=4 step variants, each in its own process; None where skipped."""
    if device != 'cuda':
        print(
            'PC-DARTS variants (bf16 autocast, channels-last, '
            'torch.compile) skipped: they are measured with --device cuda '
            'only (on CPU bf16 autocast and channels-last are not the '
            'levers, and compiling the search network takes many '
            'minutes)',
            file=sys.stderr)
        return {name: None for name in PCDARTS_VARIANTS}
    return {
        name: run_json('pcdarts_search_step.py', '--k', '4', *dev, *steps,
                       *extra)
        for name, extra in PCDARTS_VARIANTS.items()
    }


#: search scoring variants: name -> extra arguments of
#: search_candidate_cost.py
SCORING_VARIANTS = {
    'bf16 autocast': ['--amp'],
    'channels-last': ['--channels-last']
}


def scoring_variants(device, dev):
    """Scoring variants, each in its own process; None where skipped."""
    if device != 'cuda':
        print(
            'search scoring variants (bf16 autocast, channels-last) '
            'skipped: measured with --device cuda only',
            file=sys.stderr)
        return {name: None for name in SCORING_VARIANTS}
    return {
        name: run_json('search_candidate_cost.py', *dev, *extra)
        for name, extra in SCORING_VARIANTS.items()
    }


def table(rows) -> str:
    lines = [
        '| measure | value | target / comparison | met |',
        '| --- | --- | --- | --- |'
    ]
    for name, value, target, met in rows:
        mark = '' if met is None else ('yes' if met else '**no**')
        lines.append(f'| {name} | {value} | {target} | {mark} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    rows, raw = collect(args.device)
    text = table(rows)
    print(text)
    if not args.no_write:
        command = 'python tools/benchmarks/run_all.py' + (
            f' --device {args.device}' if args.device != 'cpu' else '')
        section = (f'\n## run_all, {datetime.date.today().isoformat()}, '
                   f'{args.device}\n\nMachine: {machine(args.device)}.\n'
                   f'Command: `{command}`.\n\n{text}\n')
        from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
        old = open(args.out).read() if osp.isfile(args.out) else \
            '# Benchmarks\n'
        atomic_write_text(old + section, args.out)
        print(f'appended to {args.out}')
    return raw


if __name__ == '__main__':
    main()
