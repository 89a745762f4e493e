"""PC-DARTS search through tools/dist_train.sh: 2 gloo processes on a tiny
fake CIFAR-10, genotype per epoch, identical ranks, resume."""
import json
import os.path as osp
import shutil

import pytest
import torch

import mmrazor_lite  # noqa: F401  (allow-lists what checkpoints hold)
from mmrazor_lite.structures.genotype import load_genotype
from helpers.fake_data import make_fake_cifar10
from helpers.paths import REPO
from helpers.tools import free_port, run_tool

CONFIG = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                  'pcdarts_search_1xb256_cifar10.py')


@pytest.fixture(scope='module')
def fake_cifar(tmp_path_factory):
    return make_fake_cifar10(
        str(tmp_path_factory.mktemp('cifar')), per_batch=16, test_size=16)


def _options(data_root, epochs):
    opts = [
        'model.architecture.backbone.channels=4',
        'model.architecture.head.in_channels=64',
        f'train_cfg.max_epochs={epochs}',
        'train_cfg.arch_begin_epoch=1',
        'train_cfg.val_interval=100',
        'default_hooks.logger.interval=1',
        # each rank initialises differently: the ranks agree only if
        # the weights and the architecture are broadcast from rank 0
        'randomness.seed=0',
        'randomness.diff_rank_seed=True'
    ]
    for loader in ('train_dataloader', 'train_cfg.arch_dataloader',
                   'val_dataloader'):
        # one worker: its augmentation seed is the same every epoch, so a
        # resumed run sees the same images as an uninterrupted one
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.dataset.verify_md5=False', f'{loader}.batch_size=8',
            f'{loader}.num_workers=1', f'{loader}.persistent_workers=False'
        ]
    return opts


def _with_recorder(work_dir):
    """CONFIG plus the test-only hook that records every rank's arch."""
    config = osp.join(str(work_dir), 'with_recorder.py')
    with open(config, 'w') as f:
        f.write(f'_base_ = [{CONFIG!r}]\n'
                "custom_imports = dict(imports=['arch_recorder_hook'])\n"
                "custom_hooks = [dict(type='ArchRecorderHook')]\n")
    return config


def _search(work_dir, data_root, epochs, resume=False):
    args = [
        'bash', 'tools/dist_train.sh',
        _with_recorder(work_dir), '2', '--work-dir',
        str(work_dir)
    ]
    if resume:
        args.append('--resume')
    proc = run_tool(
        args + ['--cfg-options'] + _options(data_root, epochs),
        env_extra=dict(PORT=free_port()),
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def _records(work_dir, rank):
    with open(osp.join(work_dir, f'arch_rank{rank}.jsonl')) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def full_search(tmp_path_factory, fake_cifar):
    work_dir = tmp_path_factory.mktemp('pcdarts_full')
    log = _search(work_dir, fake_cifar, epochs=2)
    return work_dir, log


def test_two_processes_agree_and_write_a_genotype_per_epoch(full_search):
    work_dir, log = full_search
    ranks = [_records(work_dir, r) for r in (0, 1)]
    steps = [[r for r in rank if 'iter' in r] for rank in ranks]
    assert len(steps[0]) == len(steps[1]) > 4
    # identical architecture parameters on both ranks after every step
    for a, b in zip(*steps):
        assert a == b
    # warm-up epoch 1: no architecture step; epoch 2: they move
    per_epoch = len(steps[0]) // 2
    first = steps[0][0]['params']['alpha_normal']
    assert all(s['params']['alpha_normal'] == first
               for s in steps[0][:per_epoch])
    assert steps[0][-1]['params']['alpha_normal'] != first
    assert 'beta_reduce' in steps[0][0]['params']
    genotypes = [[r['genotype'] for r in rank if 'epoch' in r]
                 for rank in ranks]
    assert len(genotypes[0]) == 2 and genotypes[0] == genotypes[1]
    # written after every epoch (the last too), as the loaded file says
    for epoch in (1, 2):
        written = load_genotype(
            osp.join(work_dir, f'genotype_epoch_{epoch}.yaml'))
        assert written.to_dict() == genotypes[0][epoch - 1]
    assert load_genotype(osp.join(work_dir, 'genotype.yaml')).to_dict() == \
        genotypes[0][1]
    assert 'epoch 2 genotype: Genotype(normal=' in log
    # the architecture parameters are in the checkpoint
    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'), weights_only=True)
    final = steps[0][-1]['params']
    assert ckpt['state_dict']['mutator.alpha_normal'].flatten().tolist() \
        == pytest.approx(final['alpha_normal'])
    assert set(ckpt['optimizer']) == {'architecture', 'mutator'}
    # softmax(alpha) / softmax(beta) reached the visualizer's backend
    scalars = [
        osp.join(d, f) for d in _subdirs(work_dir)
        for f in ('vis_data/scalars.json', ) if osp.isfile(osp.join(d, f))
    ]
    assert scalars
    text = open(scalars[0]).read()
    assert 'arch/ops_normal/edge_0/sep_conv_3x3' in text
    assert 'arch/edges_reduce/edge_13' in text


def _subdirs(path):
    import glob
    return [d for d in glob.glob(osp.join(str(path), '*')) if osp.isdir(d)]


def test_killed_and_resumed_search_continues_exactly(tmp_path, fake_cifar,
                                                     full_search):
    full_dir, _ = full_search
    # a search killed after epoch 1: the work dir of the uninterrupted one
    # as it was then (its epoch-1 checkpoint, its records up to epoch 1)
    shutil.copy(osp.join(full_dir, 'epoch_1.pth'), tmp_path / 'epoch_1.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    for rank in (0, 1):
        lines = open(osp.join(full_dir, f'arch_rank{rank}.jsonl')).readlines()
        first_epoch_end = next(i for i, line in enumerate(lines)
                               if '"epoch"' in line)
        (tmp_path / f'arch_rank{rank}.jsonl').write_text(''.join(
            lines[:first_epoch_end + 1]))
    saved = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert saved['meta']['epoch'] == 1
    log = _search(tmp_path, fake_cifar, epochs=2, resume=True)
    assert 'resumed epoch: 1' in log
    resumed = [r for r in _records(tmp_path, 0) if 'iter' in r]
    full = [r for r in _records(full_dir, 0) if 'iter' in r]
    # the first run's steps, then the resumed run's, equal the
    # uninterrupted search's: alphas, betas and Adam's state carried over
    assert len(resumed) == len(full)
    for a, b in zip(resumed, full):
        for name in a['params']:
            assert a['params'][name] == pytest.approx(
                b['params'][name], abs=1e-7)
    end = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    ref = torch.load(osp.join(full_dir, 'epoch_2.pth'), weights_only=True)
    for key in ('mutator.alpha_normal', 'mutator.beta_normal'):
        torch.testing.assert_close(
            end['state_dict'][key], ref['state_dict'][key], atol=1e-7, rtol=0)
    assert saved['state_dict']['mutator.alpha_normal'].shape == (14, 8)
    assert (tmp_path / 'genotype_epoch_2.yaml').read_text() == \
        open(osp.join(full_dir, 'genotype_epoch_2.yaml')).read()


def test_imagenet_search_config_on_sampled_subsets(tmp_path):
    """pcdarts_search_8xb128_in1k.py on ann files written by the subset
    tool: one epoch with architecture steps, a genotype written."""
    from helpers.fake_data import make_fake_imagenet
    root = make_fake_imagenet(
        str(tmp_path / 'imagenet'),
        num_classes=3,
        per_class=8,
        layout='folders')
    # its command line: tests/test_sample_imagenet_subset.py
    from helpers.tools import run_tool_in_process
    proc = run_tool_in_process(
        'tools/dataset_converters/sample_imagenet_subset.py',
        [root, '--fractions', '0.5', '0.25', '--names', 'weights', 'arch'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    opts = [
        'model.architecture.backbone.channels=4',
        'model.architecture.head.in_channels=64', 'train_cfg.max_epochs=1',
        'train_cfg.arch_begin_epoch=0', 'default_hooks.logger.interval=1'
    ]
    for loader, name in (('train_dataloader', 'weights'),
                         ('train_cfg.arch_dataloader', 'arch')):
        opts += [
            f'{loader}.dataset.data_root={root}',
            f'{loader}.dataset.ann_file=meta/{name}.txt',
            f'{loader}.batch_size=2', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    work_dir = tmp_path / 'search'
    proc = run_tool(
        [
            'python', 'tools/train.py',
            osp.join(REPO, 'configs', 'nas', 'pcdarts',
                     'pcdarts_search_8xb128_in1k.py'), '--work-dir',
            str(work_dir), '--cfg-options'
        ] + opts,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    log = proc.stdout + proc.stderr
    # 12 weight images (half of 3 x 8) at batch 2: 6 steps, each with an
    # architecture step
    assert 'Epoch(train) [1][6/6]' in log and 'arch_loss' in log
    load_genotype(str(work_dir / 'genotype_epoch_1.yaml'))
