"""Fault injection: SIGKILL runs at random moments, resume, compare bitwise.

    python tests/fault_injection/kill_resume.py
        [--pipelines supernet search pcdarts] [--kills 5] [--seed 0]
        [--work-dir work_dirs/kill_resume] [--iters 40] [--generations 8]
        [--epochs 4] [--json]

For each pipeline, on scikit-learn's digits (``configs/demo/``, shrunk by
``--cfg-options`` so that a run takes seconds on one thread, with a
checkpoint or search state written after every iteration / generation /
epoch):

- ``supernet``: SPOS supernet training, ``max_keep_ckpts=1``;
- ``search``: the evolution search of that supernet (``load_from`` = the
  supernet reference run's last checkpoint, run first if ``supernet`` is
  not among ``--pipelines``);
- ``pcdarts``: the PC-DARTS search (K=4, edge normalisation).

1. One uninterrupted reference run, ``tools/train.py CONFIG --work-dir
   DIR/PIPELINE/reference``.
2. The same command in ``DIR/PIPELINE/interrupted`` (``--resume`` from the
   second launch on), killed with SIGKILL ``--kills`` times, then run to
   the end. An RNG seeded by ``--seed`` places the kills in units drawn
   over the whole run (sorted, so the run moves on between kills) and
   picks each kill's moment: a random time from the middle of the
   start-up (building, loading, resuming) to the end of its unit; the
   moment a temporary file of an atomic write appears once the unit is
   reached (mid-write of a checkpoint, ``last_checkpoint``, a state or a
   genotype file); or the moment the unit's own checkpoint / state file
   appears (just after its rename: ``last_checkpoint`` not yet rewritten,
   the older checkpoint not yet removed). The work dir is polled every
   millisecond.
3. The final results are compared with the reference bit for bit:
   supernet: the last checkpoint's ``state_dict``, optimizer and scheduler
   states; search: ``best_fix_subnet.yaml``, ``search_top_k.txt``,
   ``best_subnet_weights.pth`` and the last search state (population,
   top-k, scores, RNG); PC-DARTS: ``genotype.yaml``, every
   ``genotype_epoch_N.yaml`` and the last checkpoint (weights, architecture
   parameters, optimizers, schedulers).

A pipeline fails when the results differ, when a launch that was not
killed exits non-zero (a resume that fails), when a resumed launch starts
afresh although a checkpoint / state had been saved complete before (all
progress lost, e.g. mmengine's own ``CheckpointHook`` removing the only
checkpoint before the new one is written), or when a ``.tmp`` file of a
killed write is still in the work dir at the end. The exit code is 1 if
any pipeline fails. Every launch's output is kept in
``DIR/PIPELINE/logs/``; every kill is printed with its trigger and what it
left in the work dir. With the defaults, ``--kills 10`` takes about 4
minutes on 2 CPU cores (each launch pays ~4 s of start-up);
``tests/test_kill_resume.py`` runs a shrunk one (4 iterations, 2 kills).
"""
import argparse
import json
import os
import os.path as osp
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
DEMO = osp.join(REPO, 'configs', 'demo')
PIPELINES = ('supernet', 'search', 'pcdarts')

#: an atomic write's temporary file (fileio.checkpoint_io.atomic_write_bytes)
TMP_FILE = re.compile(r'^\..+\.[^.]+\.tmp$')
#: the files whose appearance is a "new checkpoint / state" moment
RESULT_FILE = re.compile(r'^[^.].*\.(pth|yaml)$')
POLL_S = 0.001
#: logged by the CheckpointHook's before_train, after mmengine's resume or
#: the search's state restore: from here on a resume would have been logged
LOOP_STARTED = 'Checkpoints will be saved to'


# ------------------------------------------------------------ comparisons
def tree_differences(a, b, path: str = '') -> List[str]:
    """Where ``a`` and ``b`` differ, bit for bit, as readable lines.

    Walks dicts, lists and tuples; tensors must agree in dtype, shape and
    every byte (so ``nan`` equals ``nan`` and ``-0.0`` differs from ``0.0``);
    floats are compared by their bits; anything else by ``==``.
    """
    import torch
    where = path or '<root>'
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return [f'{where}: {type(a).__name__} vs {type(b).__name__}']
        if a.dtype != b.dtype or a.shape != b.shape:
            return [
                f'{where}: {a.dtype}{list(a.shape)} vs '
                f'{b.dtype}{list(b.shape)}'
            ]
        a_bits, b_bits = _bits(a), _bits(b)
        if torch.equal(a_bits, b_bits):
            return []
        differing = a_bits != b_bits
        if differing.dim() > 1:  # compared byte-wise
            differing = differing.any(dim=1)
        detail = f': {int(differing.sum())} of {a.numel()} values differ'
        if a.is_floating_point():
            x, y = (t.detach().reshape(-1)[differing].double() for t in (a, b))
            gap = (x - y).abs()
            gap = gap[gap.isfinite()]
            detail += (f', max abs difference {float(gap.max()):.3g}'
                       if gap.numel() else ', non-finite')
        return [f'{where}: tensors differ{detail}']
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in a.keys() - b.keys():
            out.append(f'{path}.{key}: only in the reference'.lstrip('.'))
        for key in b.keys() - a.keys():
            out.append(f'{path}.{key}: only in the resumed run'.lstrip('.'))
        for key in sorted(a.keys() & b.keys(), key=str):
            out += tree_differences(a[key], b[key],
                                    f'{path}.{key}' if path else str(key))
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f'{where}: {len(a)} vs {len(b)} items']
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += tree_differences(x, y, f'{path}[{i}]')
        return out
    if isinstance(a, float) and isinstance(b, float):
        same = struct.pack('<d', a) == struct.pack('<d', b)
        return [] if same else [f'{where}: {a!r} vs {b!r}']
    if type(a) is not type(b) or a != b:
        return [f'{where}: {a!r} vs {b!r}']
    return []


def _bits(tensor):
    """``tensor``'s elements as integers of the same width, flat: equal
    exactly when the bits are equal."""
    import torch
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    as_int = {
        1: torch.uint8,
        2: torch.int16,
        4: torch.int32,
        8: torch.int64
    }.get(flat.element_size())
    if as_int is None or flat.is_complex():  # wider: compare bytes
        return flat.view(torch.uint8).reshape(flat.numel(), -1)
    return flat.view(as_int)


def _load(path: str):
    # the safe, weights-only loader every tool uses (allow-lists what
    # mmengine stores in a checkpoint)
    from mmrazor_lite.fileio.checkpoint_io import load_checkpoint_file
    return load_checkpoint_file(path, map_location='cpu')


def file_differences(reference: str, resumed: str, names) -> List[str]:
    """Byte-for-byte comparison of text/binary files in two work dirs."""
    out = []
    for name in names:
        paths = [osp.join(d, name) for d in (reference, resumed)]
        missing = [p for p in paths if not osp.isfile(p)]
        if missing:
            out += [f'{p}: missing' for p in missing]
            continue
        with open(paths[0], 'rb') as fa, open(paths[1], 'rb') as fb:
            if fa.read() != fb.read():
                out.append(f'{name}: the files differ')
    return out


def checkpoint_differences(reference: str, resumed: str, name: str,
                           keys) -> List[str]:
    """The ``keys`` entries of checkpoint ``name`` in two work dirs."""
    paths = [osp.join(d, name) for d in (reference, resumed)]
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        return [f'{p}: missing' for p in missing]
    ref, res = (_load(p) for p in paths)
    out = []
    for key in keys:
        if key not in ref or key not in res:
            out.append(f'{name}: no {key!r} in '
                       f'{"the reference" if key not in ref else "resumed"}')
            continue
        out += tree_differences(ref[key], res[key], f'{name}:{key}')
    return out


def compare_supernet(reference: str, resumed: str, spec) -> List[str]:
    return checkpoint_differences(
        reference, resumed, f'iter_{spec.units}.pth',
        ('state_dict', 'optimizer', 'param_schedulers'))


def compare_search(reference: str, resumed: str, spec) -> List[str]:
    return (
        file_differences(reference, resumed,
                         ('best_fix_subnet.yaml', 'search_top_k.txt')) +
        checkpoint_differences(reference, resumed, 'best_subnet_weights.pth',
                               ('state_dict', 'meta')) +
        checkpoint_differences(
            reference, resumed, f'search_epoch_{spec.units}.pth',
            ('generation', 'decisions', 'population', 'top_k', 'scores',
             'rng_state', 'seed')))


def compare_pcdarts(reference: str, resumed: str, spec) -> List[str]:
    genotypes = ['genotype.yaml'] + [
        f'genotype_epoch_{e}.yaml' for e in range(1, spec.units + 1)
    ]
    return (file_differences(reference, resumed, genotypes) +
            checkpoint_differences(
                reference, resumed, f'epoch_{spec.units}.pth',
                ('state_dict', 'optimizer', 'param_schedulers')))


# ---------------------------------------------------------------- pipelines
@dataclass
class Spec:
    """How to run one pipeline and judge its result."""
    name: str
    config: str
    options: List[str]
    units: int  # iterations / generations / epochs
    unit_file: 're.Pattern'  # a complete unit's checkpoint / state
    #: what mmengine / the search logs when it resumed, group 1 = the unit
    resumed_log: 're.Pattern'
    writes_per_unit: int  # temporary files an ordinary unit writes
    compare: Callable


def supernet_spec(iters: int) -> Spec:
    return Spec(
        'supernet',
        osp.join(DEMO, 'spos_supernet_shufflenetv2_digits.py'),
        [
            f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            f'train_cfg.val_begin={iters + 1}',  # no validation: not compared
            f'param_scheduler.0.end={iters}',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=1',
            'default_hooks.logger.interval=10',
            'train_dataloader.batch_size=16'
        ],
        iters,
        re.compile(r'^iter_(\d+)\.pth$'),
        re.compile(r'resumed epoch: \d+, iter: (\d+)'),
        2,
        compare_supernet)


def search_spec(generations: int, supernet_ckpt: str) -> Spec:
    return Spec('search', osp.join(DEMO, 'spos_search_digits.py'), [
        f'load_from={supernet_ckpt}', f'train_cfg.max_epochs={generations}',
        'train_cfg.num_candidates=8', 'train_cfg.top_k=4',
        'train_cfg.num_mutation=4', 'train_cfg.num_crossover=4',
        'train_cfg.calibrate_samples=128'
    ], generations, re.compile(r'^search_epoch_(\d+)\.pth$'),
                re.compile(r'resume: search state \S+ \(generation (\d+)\)'),
                2, compare_search)


def pcdarts_spec(epochs: int) -> Spec:
    return Spec(
        'pcdarts',
        osp.join(DEMO, 'pcdarts_search_digits.py'),
        [
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}',
            f'train_cfg.val_begin={epochs + 1}',  # no validation
            f'train_cfg.arch_begin_epoch={min(1, epochs - 1)}',
            f'param_scheduler.architecture.0.T_max={epochs}',
            f'param_scheduler.architecture.0.end={epochs}',
            # 4 weight steps (+ 4 architecture steps) per epoch
            'train_dataloader.dataset.indices=128',
            'train_cfg.arch_dataloader.dataset.indices=64',
            'train_dataloader.batch_size=32',
            'train_cfg.arch_dataloader.batch_size=32',
            'default_hooks.logger.interval=2'
        ],
        epochs,
        re.compile(r'^epoch_(\d+)\.pth$'),
        re.compile(r'resumed epoch: (\d+), iter: \d+'),
        4,
        compare_pcdarts)


# ---------------------------------------------------------------- launching
@dataclass
class Launch:
    """One ``tools/train.py`` process of a run."""
    index: int
    resume: bool
    killed: bool = False
    trigger: str = ''
    seconds: float = 0.0
    returncode: Optional[int] = None
    left: List[str] = field(default_factory=list)  # work dir after a kill
    resumed_from: Optional[int] = None  # the unit its log says it resumed
    newest_seen: int = 0  # the newest complete unit file seen meanwhile
    #: the log reached the loop's start (after any resume): whether it
    #: resumed is known
    started: bool = False
    first_write_s: Optional[float] = None  # when a first .tmp was seen


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([REPO, env.get('PYTHONPATH', '')])
    # one thread: the reference and every launch compute alike, and the
    # shared cores stay usable
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return env


def _command(spec: Spec, work_dir: str, resume: bool) -> List[str]:
    cmd = [
        sys.executable, '-u',
        osp.join(REPO, 'tools', 'train.py'), spec.config, '--work-dir',
        work_dir
    ]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options', *spec.options]


def _listdir(directory: str) -> List[str]:
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []


def newest_unit(spec: Spec, work_dir: str) -> int:
    units = [
        int(m.group(1)) for m in map(spec.unit_file.match, _listdir(work_dir))
        if m
    ]
    return max(units, default=0)


def run_launch(spec: Spec, work_dir: str, log_path: str, launch: Launch,
               kill: Optional[dict]) -> Launch:
    """Start one launch; SIGKILL it at the moment ``kill`` describes.

    ``kill``: None (run to the end), ``{'kind': 'time', 'after': SECONDS}``,
    or ``{'kind': 'tmp' | 'new', 'unit': U, 'skip': K}``: once ``U`` units
    are saved, the (K+1)-th new temporary file (mid-write) or new .pth /
    .yaml file (just renamed into place) that appears.
    """
    before = set(_listdir(work_dir))
    launch.newest_seen = newest_unit(spec, work_dir)
    seen = {}  # new file -> whether it counts towards the kill
    with open(log_path, 'w') as log:
        start = time.monotonic()
        proc = subprocess.Popen(
            _command(spec, work_dir, launch.resume),
            cwd=REPO,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                elapsed = time.monotonic() - start
                names = _listdir(work_dir)
                launch.newest_seen = max([launch.newest_seen] + [
                    int(m.group(1))
                    for m in map(spec.unit_file.match, names) if m
                ])
                if launch.first_write_s is None and any(
                        n not in before and TMP_FILE.match(n) for n in names):
                    launch.first_write_s = elapsed
                trigger = _trigger(kill, names, before, seen, elapsed,
                                   launch.newest_seen)
                if trigger:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    launch.killed, launch.trigger = True, trigger
                    # what the kill left: its own temporary files (a stale one
                    # of an earlier kill may still wait for the next sweep)
                    # and the checkpoints / states
                    launch.left = sorted(
                        n for n in _listdir(work_dir)
                        if (TMP_FILE.match(n) and n not in before)
                        or spec.unit_file.match(n))
                    break
                time.sleep(POLL_S)
        except BaseException:  # Ctrl-C, an error here: no orphan
            proc.kill()
            proc.wait()
            raise
        launch.seconds = time.monotonic() - start
        launch.returncode = proc.returncode
    with open(log_path, errors='replace') as f:
        text = f.read()
    found = spec.resumed_log.findall(text)
    launch.resumed_from = int(found[-1]) if found else None
    launch.started = LOOP_STARTED in text
    return launch


def _trigger(kill, names, before, seen, elapsed, progress) -> str:
    """Why to kill now ('' = not yet); ``progress``: units saved so far."""
    if kill is None:
        return ''
    if kill['kind'] == 'time':
        return f'{kill["after"]:.2f} s after start' \
            if elapsed >= kill['after'] else ''
    pattern = TMP_FILE if kill['kind'] == 'tmp' else RESULT_FILE
    armed = progress >= kill['unit']
    for name in names:
        if name in before or name in seen or not pattern.match(name):
            continue
        seen[name] = armed  # files that came before the unit do not count
        if armed and sum(seen.values()) > kill['skip']:
            what = 'temporary file' if kill['kind'] == 'tmp' else 'file'
            return (f'{what} {name} appeared ({elapsed:.2f} s after start, '
                    f'{progress} units saved)')
    return ''


# ------------------------------------------------------------------- a run
@dataclass
class Result:
    pipeline: str
    runs: int = 0
    kills: int = 0
    kills_at_time: int = 0  # at a random moment
    kills_on_tmp: int = 0  # as a temporary file of a write appeared
    kills_on_new: int = 0  # as a new checkpoint / state file appeared
    kills_during_writes: int = 0  # the two above
    tmp_left_by_kills: int = 0  # kills that left a write's .tmp behind
    resumes: int = 0
    identical: bool = False
    problems: List[str] = field(default_factory=list)
    differences: List[str] = field(default_factory=list)
    reference_s: float = 0.0
    interrupted_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.identical and not self.problems


def reference_run(spec: Spec, root: str) -> dict:
    """The uninterrupted run: its work dir, wall time, and from the moment
    of its first temporary file, the start-up every launch pays and the
    time per unit."""
    work_dir = osp.join(root, spec.name, 'reference')
    logs = osp.join(root, spec.name, 'logs')
    for directory in (work_dir, logs):  # an earlier invocation's
        shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(logs)
    log_path = osp.join(logs, 'reference.log')
    launch = run_launch(spec, work_dir, log_path, Launch(0, False), None)
    if launch.returncode != 0:
        raise RuntimeError(f'{spec.name}: the reference run failed (exit '
                           f'{launch.returncode}); see {log_path}')
    first = launch.first_write_s or launch.seconds / (spec.units + 1)
    # the first write ends the first unit
    unit_s = max(launch.seconds - first, 0.0) / max(spec.units - 1, 1)
    return dict(
        work_dir=work_dir,
        seconds=launch.seconds,
        startup_s=max(first - unit_s, 0.1),
        unit_s=unit_s)


def kill_targets(rng: random.Random, spec: Spec, kills: int) -> List[int]:
    """How many units each kill waits for: spread over the whole run, in
    order, so that the run moves on between kills."""
    return sorted(rng.randrange(spec.units) for _ in range(kills))


def plan_kill(rng: random.Random, spec: Spec, ref: dict, done: int,
              target: int) -> dict:
    """The moment to kill the next launch, which starts with ``done``
    units saved, in unit ``target`` (0-based; at once if already past)."""
    kind = rng.choice(('time', 'tmp', 'new'))
    if kind == 'time':
        # any moment from the second half of the start-up (building,
        # loading, resuming) to the end of the target unit
        end = ref['startup_s'] + (max(target - done, 0) + 1) * ref['unit_s']
        return dict(
            kind='time', after=rng.uniform(0.5 * ref['startup_s'], end))
    if kind == 'tmp':
        # one of the unit's writes (checkpoint, last_checkpoint, ...)
        return dict(
            kind='tmp', unit=target, skip=rng.randrange(spec.writes_per_unit))
    # the unit's own checkpoint / state file, as it appears
    return dict(kind='new', unit=target + 1, skip=0)


def interrupted_run(spec: Spec, root: str, ref: dict, kills: int,
                    rng: random.Random, say) -> Result:
    result = Result(spec.name, reference_s=ref['seconds'])
    work_dir = osp.join(root, spec.name, 'interrupted')
    logs = osp.join(root, spec.name, 'logs')
    shutil.rmtree(work_dir, ignore_errors=True)
    start = time.monotonic()
    saved = 0  # the newest unit ever saved complete in this run
    targets = kill_targets(rng, spec, kills)
    while True:
        index = result.runs + 1
        done = newest_unit(spec, work_dir)
        saved = max(saved, done)
        launch = Launch(index, resume=index > 1)
        kill = plan_kill(rng, spec, ref, done, targets[result.kills]) \
            if result.kills < kills else None
        log_path = osp.join(logs, f'launch_{index}.log')
        run_launch(spec, work_dir, log_path, launch, kill)
        result.runs += 1
        result.resumes += launch.resume
        resumed = '' if not launch.resume else (
            f' (--resume; newest saved unit {done}, resumed from '
            f'{launch.resumed_from or "nothing: afresh"})' if launch.started
            else f' (--resume; newest saved unit {done}; killed before the '
            f'loop started)')
        if launch.resume and saved and launch.started and \
                launch.resumed_from is None:
            # all progress lost: the checkpoints were removed or unreadable
            result.problems.append(
                f'launch {index} started afresh although unit {saved} '
                f'({spec.unit_file.pattern}) had been saved complete'
                f'{"" if done else " (no such file was left)"}; see '
                f'{log_path}')
        saved = max(saved, launch.newest_seen)
        if launch.killed:
            result.kills += 1
            kind = kill['kind']
            result.kills_at_time += kind == 'time'
            result.kills_on_tmp += kind == 'tmp'
            result.kills_on_new += kind == 'new'
            result.kills_during_writes += kind != 'time'
            result.tmp_left_by_kills += any(map(TMP_FILE.match, launch.left))
            say(f'[{spec.name}] launch {index}{resumed}: SIGKILL, '
                f'{launch.trigger}; work dir then held: '
                f'{", ".join(launch.left) or "no checkpoint"}')
            continue
        say(f'[{spec.name}] launch {index}{resumed}: exit '
            f'{launch.returncode} after {launch.seconds:.1f} s')
        if launch.returncode != 0:
            with open(log_path, errors='replace') as f:
                tail = f.read()[-1500:]
            result.problems.append(
                f'launch {index} failed with exit {launch.returncode} '
                f'(log {log_path}):\n{tail}')
        break
    result.interrupted_s = time.monotonic() - start
    if result.kills < kills:
        say(f'[{spec.name}] note: the run ended after {result.kills} of '
            f'{kills} planned kills')
    if not result.problems:
        result.differences = spec.compare(ref['work_dir'], work_dir, spec)
        result.identical = not result.differences
        stale = [n for n in _listdir(work_dir) if TMP_FILE.match(n)]
        if stale:
            result.problems.append(
                f'temporary files of killed writes left in {work_dir}: '
                f'{", ".join(stale)}')
    return result


# -------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--pipelines', nargs='+', default=list(PIPELINES), choices=PIPELINES)
    parser.add_argument(
        '--kills', type=int, default=5, help='SIGKILLs per pipeline')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the kill moments')
    parser.add_argument(
        '--work-dir', default=osp.join(REPO, 'work_dirs', 'kill_resume'))
    parser.add_argument(
        '--iters',
        type=int,
        default=40,
        help='supernet iterations (one checkpoint each)')
    parser.add_argument(
        '--generations',
        type=int,
        default=8,
        help='search generations (one state file each)')
    parser.add_argument(
        '--epochs',
        type=int,
        default=4,
        help='PC-DARTS epochs (one checkpoint each)')
    parser.add_argument(
        '--json',
        action='store_true',
        help='print the results as one JSON line')
    args = parser.parse_args(argv)
    if args.kills < 0:
        parser.error(f'--kills must be >= 0, got {args.kills}')
    for name in ('iters', 'generations', 'epochs'):
        if getattr(args, name) < 2:
            parser.error(f'--{name} must be >= 2, got {getattr(args, name)}')
    return args


def table(results: List[Result]) -> str:
    lines = [
        '| pipeline | runs | kills | at a random time | as a write\'s '
        '.tmp appeared | as a new checkpoint / state appeared | kills '
        'that left a .tmp | resumes | identical | wall time (reference '
        '+ interrupted) |', '|' + ' --- |' * 10
    ]
    for r in results:
        verdict = 'yes' if r.ok else (
            '**no**' if r.differences else '**no** (failed)')
        lines.append(
            f'| {r.pipeline} | {r.runs} | {r.kills} | {r.kills_at_time} | '
            f'{r.kills_on_tmp} | {r.kills_on_new} | {r.tmp_left_by_kills} | '
            f'{r.resumes} | {verdict} | {r.reference_s:.0f} s + '
            f'{r.interrupted_s:.0f} s |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    root = osp.abspath(args.work_dir)
    os.makedirs(root, exist_ok=True)
    say = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    results = []
    supernet_ref = None
    for name in PIPELINES:  # the search needs the supernet's reference
        if name not in args.pipelines and not (name == 'supernet'
                                               and 'search' in args.pipelines):
            continue
        if name == 'supernet':
            spec = supernet_spec(args.iters)
        elif name == 'search':
            spec = search_spec(
                args.generations,
                osp.join(supernet_ref['work_dir'], f'iter_{args.iters}.pth'))
        else:
            spec = pcdarts_spec(args.epochs)
        say(f'[{name}] reference run ...')
        ref = reference_run(spec, root)
        say(f'[{name}] reference run: {ref["seconds"]:.1f} s')
        if name == 'supernet':
            supernet_ref = ref
            if name not in args.pipelines:
                continue
        # a seed per pipeline: one pipeline's kills do not move another's
        rng = random.Random(f'kill_resume:{args.seed}:{name}')
        result = interrupted_run(spec, root, ref, args.kills, rng, say)
        for line in result.problems + result.differences[:20]:
            say(f'[{name}] {line}')
        if len(result.differences) > 20:
            say(f'[{name}] ... and {len(result.differences) - 20} more '
                f'differences')
        results.append(result)
    if args.json:
        print(
            json.dumps(
                dict(
                    ok=all(r.ok for r in results),
                    kills=args.kills,
                    seed=args.seed,
                    pipelines=[dict(vars(r), ok=r.ok) for r in results])))
    else:
        print(table(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
