"""Run the repository's tools from tests: as processes, as two gloo ranks,
or in-process through their ``main(argv)``."""
import os
import os.path as osp
import subprocess
import sys

from helpers.paths import HELPERS, REPO


def run_tool(args, env_extra=None, timeout=600):
    """Run a repo script; return the CompletedProcess (output captured)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, HELPERS, env.get('PYTHONPATH', '')])
    env.setdefault('OMP_NUM_THREADS', '1')
    env.update(env_extra or {})
    proc = subprocess.run(
        args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    return proc


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def train_on_two_ranks(config, work_dir, timeout=300):
    """``tools/train.py CONFIG --launcher pytorch`` as ranks 0 and 1, two
    plain processes (no torchrun to stop a survivor: a rank left waiting
    in a collective shows as a timeout). Returns ``[(returncode, output)]``
    per rank."""
    env = dict(
        os.environ,
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=free_port(),
        WORLD_SIZE='2',
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([REPO, HELPERS]))
    procs = [
        subprocess.Popen([
            sys.executable, 'tools/train.py',
            str(config), '--launcher', 'pytorch', '--work-dir',
            str(work_dir)
        ],
                         cwd=REPO,
                         env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in (0, 1)
    ]
    try:
        outputs = [proc.communicate(timeout=timeout)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return [(proc.returncode, output) for proc, output in zip(procs, outputs)]


def load_module(relative_path, name=None):
    """Import a repo file (a tool, a test helper) by path.

    Tools are scripts, not package modules: tests load them this way
    instead of putting their folders on ``sys.path``.
    """
    import importlib.util
    path = osp.join(REPO, relative_path)
    name = name or osp.splitext(osp.basename(path))[0]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_tool_in_process(relative_path, argv):
    """``python TOOL ARGV`` without a new process: the tool's ``main(argv)``.

    Returns what ``run_tool`` returns (``returncode``, ``stdout``,
    ``stderr``), as the interpreter would: ``main``'s int result or a
    ``SystemExit`` is the exit code (a message goes to stderr, code 1), an
    uncaught exception prints its traceback and gives 1. One test per tool
    still starts the real command; the others skip the 4 s of imports.
    """
    import contextlib
    import io
    import traceback
    tool = load_module(relative_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = tool.main(list(argv))
            code = code if isinstance(code, int) else 0
        except SystemExit as exit_:
            code = exit_.code
            if isinstance(code, str):
                print(code, file=sys.stderr)
                code = 1
            code = code or 0
        except Exception:  # noqa: BLE001  (as an uncaught error would)
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess([relative_path, *argv], code,
                                       out.getvalue(), err.getvalue())


def shrink_options(data_root, iters=4, batch=2, ckpt_interval=2):
    """--cfg-options that make an ImageNet config run in seconds on CPU."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.batch_size={batch}', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    opts += [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={ckpt_interval}',
        'default_hooks.logger.interval=1', 'randomness.seed=0'
    ]
    return opts
