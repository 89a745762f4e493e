"""A fresh training of a DARTS cell claims its work dir (issue 23, defect
3): an earlier run's checkpoints are refused (WorkDirClaimHook, which
build_config adds to every run) unless the hook is told to overwrite them;
``--resume`` and a failed start's logs and configs are not refused."""
import os.path as osp
import shutil

import pytest
import torch

from mmrazor_lite.apis import build_config, build_runner
from mmrazor_lite.engine.hooks import WorkDirClaimHook
from helpers.paths import REPO
from helpers.search_pipeline import train_logged

CONFIG = osp.join(REPO, 'configs', 'demo', 'pcdarts_subnet_digits.py')
SPOS = osp.join(REPO, 'configs', 'demo',
                'spos_supernet_shufflenetv2_digits.py')
# one epoch of one batch, validated on one batch
TINY = {
    'train_dataloader.dataset.indices': 64,
    'val_dataloader.dataset.indices': 64,
    'train_cfg.max_epochs': 1,
}


def _config(work_dir, resume=None, **options):
    cfg = build_config(
        CONFIG, str(work_dir), dict(TINY, **options), resume=resume)
    cfg.experiment_name = f'claim_hook_{osp.basename(str(work_dir))}'
    return cfg


def _files(work_dir):
    """The files at the top of ``work_dir`` but the Runner's config dump."""
    return sorted(p.name for p in work_dir.iterdir()
                  if p.is_file() and p.suffix != '.py')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A one-epoch training, started in a work dir that holds what a start
    that failed left there (its log folder and dumped config)."""
    work_dir = tmp_path_factory.mktemp('trained')
    (work_dir / '20261207_101010').mkdir()
    (work_dir / '20261207_101010' / '20261207_101010.log').write_text('x')
    (work_dir / 'pcdarts_subnet_digits.py').write_text('x = 1\n')
    cfg = _config(work_dir)
    assert any(h['type'] == 'WorkDirClaimHook' for h in cfg.custom_hooks)
    build_runner(cfg).train()  # not refused
    assert _files(work_dir) == ['epoch_1.pth', 'last_checkpoint']
    return work_dir


def _copy_run(src, dst):
    shutil.copy(src / 'epoch_1.pth', dst / 'epoch_1.pth')
    (dst / 'last_checkpoint').write_text(str(dst / 'epoch_1.pth'))


def test_a_fresh_training_refuses_an_earlier_runs_checkpoints(
        tmp_path, trained):
    _copy_run(trained, tmp_path)
    runner = build_runner(_config(tmp_path))
    with pytest.raises(FileExistsError) as err:
        runner.train()
    message = str(err.value)
    assert f'{runner.work_dir} already holds the files of an earlier ' \
        'training (epoch_1.pth, last_checkpoint); a new training would mix ' \
        'its files with them' in message
    assert 'Continue that training with --resume, use a new --work-dir, ' \
        "or set overwrite=True on this run's WorkDirClaimHook" in message
    assert _files(tmp_path) == ['epoch_1.pth', 'last_checkpoint']
    assert torch.load(
        tmp_path / 'epoch_1.pth', weights_only=True)['meta']['epoch'] == 1


def test_resume_continues_the_run(tmp_path, trained):
    _copy_run(trained, tmp_path)
    cfg = _config(tmp_path, resume='auto', **{'train_cfg.max_epochs': 2})
    assert cfg.resume and cfg.load_from == str(tmp_path / 'epoch_1.pth')
    runner = build_runner(cfg)
    runner.train()
    assert runner.epoch == 2
    assert torch.load(
        tmp_path / 'epoch_2.pth', weights_only=True)['meta']['epoch'] == 2


def _with_overwrite(cfg):
    for hook in cfg.custom_hooks:
        if hook['type'] == 'WorkDirClaimHook':
            hook['overwrite'] = True
    return cfg


def test_overwrite_deletes_them_first(tmp_path, trained):
    _copy_run(trained, tmp_path)
    (tmp_path / 'epoch_7.pth').write_text('an older run\'s')
    runner = build_runner(_with_overwrite(_config(tmp_path)))
    messages = train_logged(runner)
    assert 'WorkDirClaimHook overwrite=True: removed epoch_1.pth, ' \
        'epoch_7.pth, last_checkpoint of an earlier training from ' \
        f'{runner.work_dir}' in messages
    assert _files(tmp_path) == ['epoch_1.pth', 'last_checkpoint']
    # this run's epoch_1.pth, written after the old one was removed
    assert osp.getmtime(tmp_path / 'epoch_1.pth') > osp.getmtime(trained /
                                                                 'epoch_1.pth')


def test_overwrite_with_a_resume_is_refused(tmp_path, trained):
    _copy_run(trained, tmp_path)
    runner = build_runner(
        _with_overwrite(
            _config(tmp_path, resume='auto', **{'train_cfg.max_epochs': 2})))
    with pytest.raises(ValueError) as err:
        WorkDirClaimHook(overwrite=True).before_train(runner)
    assert 'WorkDirClaimHook overwrite=True deletes the checkpoints of ' \
        f'{runner.work_dir} that --resume' in str(err.value)
    assert _files(tmp_path) == ['epoch_1.pth', 'last_checkpoint']


def test_other_trainings_are_not_checked(tmp_path):
    # a SPOS supernet training over an earlier one's checkpoints: as before
    (tmp_path / 'iter_5.pth').write_text('an earlier run\'s')
    cfg = build_config(SPOS, str(tmp_path))
    cfg.experiment_name = 'claim_hook_spos'
    runner = build_runner(cfg)
    WorkDirClaimHook().before_train(runner)  # no error
    assert (tmp_path / 'iter_5.pth').is_file()
