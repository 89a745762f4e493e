import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TESTS = osp.join(REPO, 'tests')
sys.path.insert(0, TESTS)

from fake_data import make_fake_imagenet  # noqa: E402

if os.environ.get('PYTEST_XDIST_WORKER'):
    # pytest.ini runs one worker per core: one thread each, or the two
    # workers' intra-op threads would fight over the same two cores
    import torch
    torch.set_num_threads(1)

SUPERNET_CONFIG = osp.join(REPO, 'configs', 'nas', 'spos',
                           'spos_supernet_shufflenetv2_8xb128_in1k.py')


@pytest.fixture(scope='session')
def fake_imagenet(tmp_path_factory):
    """Tiny ImageNet, ann-file layout: 3 classes x 4 JPEGs per split."""
    return make_fake_imagenet(str(tmp_path_factory.mktemp('imagenet')),
                              layout='ann')


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread for a module's tests: tiny convs ran ~100x
    slower with 2 threads than with 1 on the small CI machine."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def backbone_features(backbone, seed):
    """The last feature map of ``backbone`` (eval) on a seeded 2x3x32x32
    input: how tests compare two backbones' weights and paths."""
    import torch
    torch.manual_seed(seed)
    x = torch.randn(2, 3, 32, 32)
    backbone.eval()
    with torch.no_grad():
        return backbone(x)[-1]


@pytest.fixture(scope='module')
def supernet_ckpt(tmp_path_factory):
    """5 training steps of the tiny digits supernet of
    ``test_evolution_search.tiny_config``, once per test module."""
    from test_evolution_search import run, tiny_config
    work_dir = tmp_path_factory.mktemp('supernet')
    run(tiny_config(work_dir))
    ckpt = osp.join(work_dir, 'iter_5.pth')
    assert osp.isfile(ckpt)
    return ckpt


def shrink_options(data_root, iters=4, batch=2, ckpt_interval=2):
    """--cfg-options that make an ImageNet config run in seconds on CPU."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={data_root}',
                 f'{loader}.batch_size={batch}',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
             f'default_hooks.checkpoint.interval={ckpt_interval}',
             'default_hooks.logger.interval=1', 'randomness.seed=0']
    return opts


def run_tool(args, env_extra=None, timeout=600):
    """Run a repo script; return the CompletedProcess (output captured)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, osp.join(TESTS, 'helpers'), env.get('PYTHONPATH', '')])
    env.setdefault('OMP_NUM_THREADS', '1')
    env.update(env_extra or {})
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
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
    env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT=free_port(),
               WORLD_SIZE='2', OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([REPO, osp.join(TESTS, 'helpers')]))
    procs = [subprocess.Popen(
        [sys.executable, 'tools/train.py', str(config), '--launcher',
         'pytorch', '--work-dir', str(work_dir)], cwd=REPO,
        env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in (0, 1)]
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


#: test files that spawn training processes, slowest first: collected
#: first, so the two workers start on them and finish together
SLOW_FILES = ('test_spos_pipeline.py', 'test_demo.py',
              'test_trained_checkpoint.py', 'test_dist_train.py',
              'test_darts_search_pipeline.py', 'test_darts_eval_pipeline.py',
              'test_evolution_search.py', 'test_pareto_search.py',
              'test_score_predictor.py', 'test_checkpoint_kill_safety.py')


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = osp.basename(str(item.fspath))
        return SLOW_FILES.index(name) if name in SLOW_FILES else \
            len(SLOW_FILES)
    items.sort(key=rank)  # stable: the order within a file is kept


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
    return subprocess.CompletedProcess(
        [relative_path, *argv], code, out.getvalue(), err.getvalue())
