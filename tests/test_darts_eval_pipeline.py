"""Training a searched cell through the tools: 2 gloo processes on a tiny
fake CIFAR-10, auxiliary loss, rising drop path, checkpoints, resume, test."""
import os.path as osp
import re

import pytest
import torch

import mmrazor_lite  # noqa: F401  (allow-lists what checkpoints hold)
from mmrazor_lite.structures.genotype import GENOTYPES
from helpers.fake_data import make_fake_cifar10
from helpers.paths import REPO
from helpers.tools import free_port, run_tool

CONFIG = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                  'pcdarts_subnet_1xb96_cifar10.py')


@pytest.fixture(scope='module')
def fake_cifar(tmp_path_factory):
    return make_fake_cifar10(
        str(tmp_path_factory.mktemp('cifar')), per_batch=16, test_size=16)


def _options(data_root, epochs):
    # 5 cells of 8 channels: reductions at cells 1 and 3, whose 8x8 output
    # feeds the auxiliary head, as cell 13 of the 20-cell network does
    opts = [
        'model.backbone.channels=8', 'model.backbone.num_layers=5',
        'model.head.in_channels=128', 'model.head.aux_channels=128',
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1', 'randomness.seed=0'
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.dataset.verify_md5=False', f'{loader}.batch_size=8',
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False'
        ]
    return opts


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def test_train_resume_and_test_a_cell_with_two_processes(tmp_path, fake_cifar):
    work_dir = str(tmp_path / 'train')
    train = [
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir
    ]
    # trained as DARTS_V1, not the config's default cell (PC_DARTS_cifar)
    cell = 'model.backbone.genotype=DARTS_V1'
    log = _ok(
        run_tool(
            train + ['--cfg-options', cell] + _options(fake_cifar, 2),
            env_extra=dict(PORT=free_port()),
            timeout=900))
    # the auxiliary loss is trained, the drop-path probability rises
    assert re.search(r'loss_aux: \d', log)
    assert 'epoch 1: drop path probability 0.0000' in log
    assert 'epoch 2: drop path probability 0.1500' in log
    assert re.search(r'Epoch\(val\) \[2\]\[\d+/\d+\]\s+accuracy/top1', log)
    for epoch in (1, 2):
        assert osp.isfile(osp.join(work_dir, f'epoch_{epoch}.pth'))

    # killed after epoch 2, resumed: continues at epoch 3 with the ramp
    log = _ok(
        run_tool(
            train + ['--resume', '--cfg-options', cell] +
            _options(fake_cifar, 3),
            env_extra=dict(PORT=free_port()),
            timeout=900))
    assert 'resumed epoch: 2' in log
    assert 'epoch 3: drop path probability 0.2000' in log
    ckpt = torch.load(osp.join(work_dir, 'epoch_3.pth'), weights_only=True)
    assert any(
        k.startswith('head.auxiliary_head.') for k in ckpt['state_dict'])

    assert ckpt['meta']['genotype'] == GENOTYPES['DARTS_V1'].to_dict()

    # dist_test.sh reports accuracy (the auxiliary head is not used) of
    # the checkpoint's own cell, without --cfg-options cell
    log = _ok(
        run_tool(
            [
                'bash', 'tools/dist_test.sh', CONFIG,
                osp.join(work_dir, 'epoch_3.pth'), '2', '--work-dir',
                str(tmp_path / 'test'), '--cfg-options'
            ] + _options(fake_cifar, 3),
            env_extra=dict(PORT=free_port()),
            timeout=600))
    assert re.search(r'accuracy/top1: [\d.]+\s+accuracy/top5: [\d.]+', log)
    assert 'epoch_3.pth (strict)' in log
    assert 'epoch_3.pth (meta.genotype)' in log
