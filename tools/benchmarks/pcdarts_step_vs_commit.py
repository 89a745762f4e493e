"""The PC-DARTS search step of this checkout against another commit's, in
one run.

    python tools/benchmarks/pcdarts_step_vs_commit.py --baseline REV
        [--candidate REV2] [--steps 5] [--warmup 1] [--k 4] [--batch 64]
        [--size 32] [--device cpu|cuda] [--threads N] [--json]

``REV`` (any git revision; ``--baseline-dir DIR`` for a checkout that
already exists) is checked out in a temporary git worktree, and so is
``REV2`` when given (else the candidate is this checkout, uncommitted
changes included: one change against its parent, for instance). Two worker
processes build the same model (``pcdarts_search_step.py``'s ``build``,
the config of each checkout, same seed and batches): one imports
``mmrazor_lite`` from the baseline, the other from this checkout. Their
steps alternate -- baseline, this, baseline, this ... -- weight steps
first, then architecture steps, so that the drift of a shared machine
falls on both alike; the worker that is not stepping waits on a pipe and
uses no CPU. Reported: the medians, the ratio baseline / this, and each
worker's peak memory (its own process: peak RSS on CPU, peak allocated
CUDA memory on a GPU). On CPU the medians of the process CPU time per step
are reported too (``*_cpu_s``): with ``--threads 1`` they are what the
step costs even while other work on a shared host takes the cores away
from time to time (wall clock then drifts by 10-30 %).

This is how docs/benchmarks.md compares the step before and after a
change ("measured alternating with the same-run baseline").
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import subprocess
import sys
import tempfile
import time

from benchmark_report import alternate, describe_machine, self_timed

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
GIB = 1024**3
SIDES = ('baseline', 'this')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--baseline', help='git revision to compare with')
    where.add_argument(
        '--baseline-dir', help='an existing checkout to compare with')
    parser.add_argument(
        '--candidate',
        help='git revision to measure (default: this '
        'checkout as it is)')
    parser.add_argument('--k', type=int, default=4)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--threads',
        type=int,
        help='torch threads in each worker (default: '
        "torch's)")
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--json', action='store_true')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.worker or args.baseline or args.baseline_dir):
        parser.error('one of --baseline REV or --baseline-dir DIR is needed')
    return args


# ------------------------------------------------------------------ worker
def worker(args):
    """Build the model from checkout ``args.worker``; run the step each
    line on stdin names; answer one JSON line per command."""
    repo = osp.abspath(args.worker)
    sys.path.insert(0, repo)
    import torch

    import mmrazor_lite
    if not osp.abspath(mmrazor_lite.__file__).startswith(repo + os.sep):
        raise SystemExit(f'mmrazor_lite was imported from '
                         f'{mmrazor_lite.__file__}, not from {repo}')
    import pcdarts_search_step as bench
    bench.CONFIG = osp.join(repo, 'configs', 'nas', 'pcdarts',
                            'pcdarts_search_1xb256_cifar10.py')
    step_args = bench.parse_args([
        '--k',
        str(args.k), '--batch',
        str(args.batch), '--size',
        str(args.size), '--device', args.device
    ])
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = args.device == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    model, wrappers = bench.build(step_args)
    generator = torch.Generator().manual_seed(0)
    batch = bench.make_batch(step_args, generator)
    batch2 = bench.make_batch(step_args, generator)
    steps = dict(
        weight=lambda: model.train_step(
            dict(weights=batch, arch=None), wrappers),
        arch=lambda: model._arch_step(
            dict(weights=batch, arch=batch2), wrappers))
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    _answer(
        dict(
            ready=True,
            torch=torch.__version__,
            threads=torch.get_num_threads()))
    for line in sys.stdin:
        command = line.strip()
        if command == 'quit':
            peak = torch.cuda.max_memory_allocated() if cuda else \
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            _answer(dict(peak_mem_gib=round(peak / GIB, 3)))
            return
        sync()
        start, cpu_start = time.perf_counter(), time.process_time()
        steps[command]()
        sync()
        _answer(
            dict(
                seconds=time.perf_counter() - start,
                cpu_seconds=time.process_time() - cpu_start))


def _answer(message):
    print(json.dumps(message), flush=True)


# ------------------------------------------------------------------ driver
class _Worker:

    def __init__(self, repo, args):
        cmd = [
            sys.executable,
            osp.abspath(__file__), '--worker', repo, '--k',
            str(args.k), '--batch',
            str(args.batch), '--size',
            str(args.size), '--device', args.device
        ]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        self.repo = repo
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE)
        self.info = self.read()

    def ask(self, command):
        self.proc.stdin.write(command + '\n')
        self.proc.stdin.flush()
        return self.read()

    def read(self):
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise SystemExit(f'the worker on {self.repo} exited with code '
                             f'{code} (its error is above)')
        return json.loads(line)

    def close(self):
        peak = self.ask('quit')['peak_mem_gib']
        self.proc.wait()
        return peak


def _alternate(workers, phase, warmup, repeats):
    """Medians per worker: (wall seconds, process CPU seconds)."""

    def step(worker):
        answer = worker.ask(phase)
        return answer['seconds'], answer['cpu_seconds']

    return alternate([lambda w=w: step(w) for w in workers],
                     repeats,
                     warmup,
                     timer=self_timed)


def _git(*args, cwd=REPO):
    return subprocess.run(['git', *args],
                          cwd=cwd,
                          check=True,
                          capture_output=True,
                          text=True).stdout.strip()


def compare(args):
    tmp = tempfile.mkdtemp(prefix='pcdarts_step_vs_commit_')
    worktrees = []

    def checkout(rev, name):
        path = osp.join(tmp, name)
        _git('worktree', 'add', '--detach', path, rev)
        worktrees.append(path)
        return path, f"{rev} ({_git('rev-parse', '--short', rev)})"

    try:
        if args.baseline_dir:
            baseline_dir = osp.abspath(args.baseline_dir)
            label = args.baseline_dir
        else:
            baseline_dir, label = checkout(args.baseline, 'baseline')
        if args.candidate:
            candidate_dir, this = checkout(args.candidate, 'candidate')
        else:
            candidate_dir = REPO
            this = _git(
                'rev-parse', '--short', 'HEAD') + (' + changes' if _git(
                    'status', '--porcelain', '--untracked-files=no') else '')
        load_before = os.getloadavg()
        workers = [_Worker(baseline_dir, args), _Worker(candidate_dir, args)]
        weight = _alternate(workers, 'weight', args.warmup, args.steps)
        arch = _alternate(workers, 'arch', args.warmup, args.steps)
        peaks = [w.close() for w in workers]
        load_after = os.getloadavg()
    finally:
        for path in worktrees:
            _git('worktree', 'remove', '--force', path)
        os.rmdir(tmp)
    info = workers[1].info
    # described here, not by a worker: the baseline's mmrazor_lite may
    # predate what describes it
    info['device_name'] = describe_machine(args.device)['device_name']
    result = dict(
        baseline=label,
        this=this,
        k=args.k,
        batch=args.batch,
        size=args.size,
        device=args.device,
        device_name=info['device_name'],
        machine=platform.node(),
        torch=info['torch'],
        threads=info['threads'],
        steps=args.steps,
        warmup=args.warmup,
        load_before=round(load_before[0], 2),
        load_after=round(load_after[0], 2))
    for phase, medians in (('weight', weight), ('arch', arch)):
        for side, (wall, cpu) in zip(SIDES, medians):
            result[f'{side}_{phase}_step_s'] = round(wall, 4)
            result[f'{side}_{phase}_step_cpu_s'] = round(cpu, 4)
        result[f'{phase}_speedup'] = round(medians[0][0] / medians[1][0], 3)
        result[f'{phase}_cpu_speedup'] = round(medians[0][1] / medians[1][1],
                                               3)
    for side, peak in zip(SIDES, peaks):
        result[f'{side}_peak_mem_gib'] = peak
    if args.json:
        print(json.dumps(result))
        return result
    mem = 'peak RSS' if args.device == 'cpu' else 'peak CUDA memory'
    print(f"{info['device_name']}, torch {info['torch']}, "
          f"{info['threads']} thread(s), K={args.k}, batch {args.batch}, "
          f"{args.size}x{args.size}; medians of {args.steps} after "
          f"{args.warmup} warm-up, alternating; load average "
          f"{result['load_before']} -> {result['load_after']}")
    print()
    print(f'| code | weight step | arch step | weight step CPU time | '
          f'arch step CPU time | {mem} |')
    print('| --- | --- | --- | --- | --- | --- |')
    for side, name in zip(SIDES, (label, result['this'])):
        print(f"| {name} | {result[f'{side}_weight_step_s']:.3f} s | "
              f"{result[f'{side}_arch_step_s']:.3f} s | "
              f"{result[f'{side}_weight_step_cpu_s']:.3f} s | "
              f"{result[f'{side}_arch_step_cpu_s']:.3f} s | "
              f"{result[f'{side}_peak_mem_gib']:.2f} GiB |")
    print(f"| speed-up | {result['weight_speedup']:.2f}x | "
          f"{result['arch_speedup']:.2f}x | "
          f"{result['weight_cpu_speedup']:.2f}x | "
          f"{result['arch_cpu_speedup']:.2f}x | |")
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    return compare(args)


if __name__ == '__main__':
    main()
