"""SPOS stages 2-4 through the shipped configs and tools, 2 gloo processes."""
import os.path as osp
import re

import pytest
import torch
import yaml

from helpers.paths import REPO, SUPERNET_CONFIG
from helpers.tools import free_port, run_tool, shrink_options

SPOS = osp.join(REPO, 'configs', 'nas', 'spos')
SEARCH_CONFIG = osp.join(SPOS,
                         'spos_evolution_search_shufflenetv2_8xb2048_in1k.py')
SUBNET_CONFIG = osp.join(SPOS, 'spos_subnet_shufflenetv2_8xb128_in1k.py')
DEMO = osp.join(REPO, 'configs', 'demo')


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def _loader_options(prefix, data_root=None, batch=4, extra=()):
    opts = [
        f'{prefix}.batch_size={batch}', f'{prefix}.num_workers=0',
        f'{prefix}.persistent_workers=False'
    ]
    if data_root:
        opts.append(f'{prefix}.dataset.data_root={data_root}')
    return opts + [f'{prefix}.dataset.{e}' for e in extra]


def _launch(tool, config, nproc, checkpoint=()):
    """``tools/dist_{tool}.sh CONFIG [CHECKPOINT] NPROC``; ``nproc=None``:
    the plain ``tools/{tool}.py``, one process and no launcher to start."""
    checkpoint = list(checkpoint)
    if nproc is None:
        return ['python', f'tools/{tool}.py', config] + checkpoint
    return ['bash', f'tools/dist_{tool}.sh', config] + checkpoint + \
        [str(nproc)]


def _search_options(data_root=None, extra=(), **loop):
    opts = (
        _loader_options('train_cfg.dataloader', data_root, extra=extra) +
        _loader_options(
            'train_cfg.calibrate_dataloader', data_root, extra=extra))
    opts += [f'train_cfg.{k}={v}' for k, v in loop.items()]
    return opts + ['default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def imagenet_supernet_ckpt(tmp_path_factory):
    """Stage 1's output, as an initialised full-size supernet checkpoint."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
    from mmrazor_lite.registry import MODELS
    init_default_scope('mmrazor_lite')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SUPERNET_CONFIG).model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('stage1') / 'iter_150000.pth')
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return path


def test_shufflenet_configs_stages_2_to_4(tmp_path, fake_imagenet,
                                          imagenet_supernet_ckpt):
    """Stage 1 with 2 processes: tests/test_dist_train.py."""
    _stages_2_to_4(
        tmp_path,
        fake_imagenet,
        imagenet_supernet_ckpt,
        SEARCH_CONFIG,
        SUBNET_CONFIG,
        num_blocks=20,
        budget=330e6)


def test_mobilenet_configs_stages_1_to_4(tmp_path, fake_imagenet):
    """The three MobileNet configs, widen 0.5, one process each (2 processes
    run every stage in the ShuffleNetV2 tests above and
    tests/test_dist_train.py; here starting processes would cost more than
    the steps)."""
    widen = ['model.architecture.backbone.widen_factor=0.5']
    stage1 = tmp_path / 'supernet'
    out = _ok(
        run_tool(
            _launch(
                'train',
                osp.join(
                    SPOS,
                    'spos_supernet_mobilenet_proxyless_gpu_8xb128_in1k.py'),
                None) +
            ['--work-dir', str(stage1), '--cfg-options'] + widen +
            shrink_options(fake_imagenet, iters=2, ckpt_interval=2),
            env_extra=dict(PORT=free_port()),
            timeout=900))
    assert 'Iter(train) [2/2]' in out
    _stages_2_to_4(
        tmp_path,
        fake_imagenet,
        str(stage1 / 'iter_2.pth'),
        osp.join(
            SPOS, 'spos_evolution_search_mobilenet_proxyless_gpu_'
            'flops465_8xb512_in1k.py'),
        osp.join(SPOS, 'spos_subnet_mobilenet_proxyless_gpu_8xb128_in1k.py'),
        num_blocks=22,
        budget=465e6,
        extra=widen,
        nproc=None)


def _stages_2_to_4(tmp_path,
                   fake_imagenet,
                   supernet_ckpt,
                   search_config,
                   subnet_config,
                   num_blocks,
                   budget,
                   extra=(),
                   nproc=2):
    extra = list(extra)
    # 2. search, one process (1 vs 2 processes: the digits test below)
    search_dir = tmp_path / 'search'
    out = _ok(
        run_tool(
            _launch('train', search_config, None) + [
                '--work-dir',
                str(search_dir), '--cfg-options', f'load_from={supernet_ckpt}'
            ] + extra + _search_options(
                fake_imagenet,
                calibrate_samples=8,
                max_epochs=2,
                num_candidates=4,
                top_k=2,
                num_mutation=2,
                num_crossover=2,
                seed=0),
            env_extra=dict(PORT=free_port()),
            timeout=900))
    assert 'generation [2/2]' in out
    for name in ('best_fix_subnet.yaml', 'best_subnet_weights.pth',
                 'search_epoch_1.pth', 'search_epoch_2.pth',
                 'search_top_k.txt'):
        assert (search_dir / name).is_file(), name
    found = {
        k: v['chosen']
        for k, v in yaml.safe_load((
            search_dir / 'best_fix_subnet.yaml').read_text()).items()
    }
    assert len(found) == num_blocks
    weights = torch.load(
        search_dir / 'best_subnet_weights.pth', weights_only=True)
    assert weights['meta']['fix_subnet'] == found
    # within the budget, as the table says
    table = (search_dir / 'search_top_k.txt').read_text()
    flops = [
        int(r.split()[2].replace(',', '')) for r in table.splitlines()
        if r.strip()[:1].isdigit()
    ]
    assert flops and all(f <= budget for f in flops)

    # 3. retrain: only model.init_cfg.checkpoint names the search result.
    # lr 0: the weights stay exactly where training started
    retrain_dir = tmp_path / 'retrain'
    search_weights = f'{search_dir}/best_subnet_weights.pth'
    out = _ok(
        run_tool(
            _launch('train', subnet_config, nproc) + [
                '--work-dir',
                str(retrain_dir), '--cfg-options',
                f'model.init_cfg.checkpoint={search_weights}',
                'optim_wrapper.optimizer.lr=0.0'
            ] + extra +
            shrink_options(fake_imagenet, iters=2, ckpt_interval=2),
            env_extra=dict(PORT=free_port()),
            timeout=900))
    assert 'Iter(train) [2/2]' in out
    retrained = torch.load(retrain_dir / 'iter_2.pth', weights_only=True)
    assert retrained['meta']['fix_subnet'] == found  # not the shipped yaml
    # it started from the search weights of the found subnet
    compared = 0
    for key, value in retrained['state_dict'].items():
        block = next((p for p in found if key.startswith(p + '.')), None)
        if block is None or not key.endswith('weight'):
            continue
        sliced = weights['state_dict'][
            f'architecture.{block}._candidates.{found[block]}.'
            f'{key[len(block) + 1:]}']
        assert torch.equal(value, sliced), key
        compared += 1
    assert compared > 100

    # 4. test, weights from model.init_cfg
    out = _ok(
        run_tool(
            _launch('test', subnet_config, nproc and 1, ['none']) + [
                '--work-dir',
                str(tmp_path / 'test'), '--cfg-options',
                f'model.init_cfg.checkpoint={retrain_dir}/iter_2.pth'
            ] + extra + shrink_options(fake_imagenet),
            env_extra=dict(PORT=free_port()),
            timeout=600))
    assert re.search(r'accuracy/top1: [\d.]+\s+accuracy/top5: [\d.]+', out)


# ------------------------------------------------------- 1 vs 2 processes
TINY = [
    'model.architecture.backbone.widen_factor=0.25',
    'model.architecture.backbone.stage_blocks=(1,1,2,1)',
    'model.architecture.backbone.last_channels=64',
    'model.architecture.head.in_channels=64'
]


@pytest.fixture(scope='module')
def digits_supernet_ckpt(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('digits_supernet')
    _ok(
        run_tool(
            [
                'python', 'tools/train.py',
                osp.join(DEMO, 'spos_supernet_shufflenetv2_digits.py'),
                '--work-dir',
                str(work_dir), '--cfg-options'
            ] + TINY + [
                'train_dataloader.dataset.image_size=16',
                'val_dataloader.dataset.image_size=16',
                'train_cfg.max_iters=40', 'train_cfg.val_interval=40',
                'param_scheduler.0.end=40',
                'default_hooks.checkpoint.interval=40'
            ],
            timeout=600))
    return str(work_dir / 'iter_40.pth')


def _digits_search(work_dir, ckpt, nproc, generations, resume=False):
    # the demo search config with a user hook recording the train events
    config = osp.join(
        osp.dirname(str(work_dir)), 'search_with_hook_recorder.py')
    with open(config, 'w') as f:
        f.write(f'_base_ = [{osp.join(DEMO, "spos_search_digits.py")!r}]\n'
                "custom_imports = dict(imports=['search_hook_recorder'])\n"
                "custom_hooks = [dict(type='SearchHookRecorder')]\n")
    head = ['python', 'tools/train.py', config] if nproc == 1 else \
        ['bash', 'tools/dist_train.sh', config, str(nproc)]
    args = head + ['--work-dir', str(work_dir)]
    if resume:
        args.append('--resume')
    # half the demo's population: ~24 paths scored in 3 generations
    opts = TINY + _search_options(
        extra=['image_size=16'],
        max_epochs=generations,
        input_shape='(1,3,16,16)',
        calibrate_samples=100,
        num_candidates=8,
        top_k=3,
        num_mutation=4,
        num_crossover=4)
    if not resume:
        opts.append(f'load_from={ckpt}')
    return _ok(
        run_tool(
            args + ['--cfg-options'] + opts,
            env_extra=dict(PORT=free_port()),
            timeout=900))


def _state(work_dir, generation):
    return torch.load(
        osp.join(work_dir, f'search_epoch_{generation}.pth'),
        weights_only=True)


def test_search_is_the_same_on_1_and_2_processes_and_after_resume(
        tmp_path, digits_supernet_ckpt):
    one = tmp_path / 'one_process'
    _digits_search(one, digits_supernet_ckpt, 1, generations=3)

    # 2 processes, stopped after generation 1, then resumed to 3
    two = tmp_path / 'two_processes'
    _digits_search(two, digits_supernet_ckpt, 2, generations=1)
    assert not (two / 'search_epoch_2.pth').exists()
    out = _digits_search(two, None, 2, generations=3, resume=True)
    assert 'resume: search state' in out and '(generation 1)' in out

    assert (two / 'best_fix_subnet.yaml').read_text() == \
        (one / 'best_fix_subnet.yaml').read_text()
    a, b = _state(one, 3), _state(two, 3)
    assert a['top_k'] == b['top_k']
    assert a['population'] == b['population']
    assert a['rng_state'] == b['rng_state']
    # every candidate got the same score (BN statistics are independent
    # of the number of processes)
    assert [c for c, _ in a['scores']] == [c for c, _ in b['scores']]
    for (_, sa), (_, sb) in zip(a['scores'], b['scores']):
        assert sa == pytest.approx(sb, abs=1e-9)
    # the scores really differ between candidates: the test can tell
    assert len({s for _, s in a['scores']}) > 3

    # a user hook got the train events, once per generation, on every rank
    from helpers.tools import load_module
    recorder = load_module('tests/helpers/search_hook_recorder.py')
    assert recorder.read_events(one) == recorder.expected_events(0, 3)
    for rank in (0, 1):
        assert recorder.read_events(two, rank) == \
            recorder.expected_events(0, 1) + recorder.expected_events(1, 3)
