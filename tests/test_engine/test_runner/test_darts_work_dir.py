"""A fresh PC-DARTS / DARTS search claims its work dir as the SPOS search
loops do (issue 23, defect 3): an earlier run's genotypes and checkpoints
are refused unless ``train_cfg.overwrite=True``; ``--resume`` and a work
dir with only a failed start's logs and configs are not refused."""
import os.path as osp

import pytest
import torch

from mmrazor_lite.apis import build_config, build_runner
from helpers.paths import REPO
from helpers.search_pipeline import train_logged

CONFIG = osp.join(REPO, 'configs', 'demo', 'pcdarts_search_digits.py')
# one epoch of one weight batch and one architecture batch
TINY = {
    'train_dataloader.dataset.indices': 64,
    'val_dataloader.dataset.indices': 64,
    'train_cfg.max_epochs': 1,
    'train_cfg.arch_begin_epoch': 0,
}
EARLIER = ('genotype_epoch_1.yaml', 'genotype_epoch_2.yaml', 'genotype.yaml',
           'epoch_2.pth', 'last_checkpoint')


def _config(work_dir, resume=None, **options):
    cfg = build_config(
        CONFIG, str(work_dir), dict(TINY, **options), resume=resume)
    cfg.experiment_name = f'darts_work_dir_{osp.basename(str(work_dir))}'
    return cfg


def _earlier_run(work_dir):
    """The files an earlier search left (contents do not matter)."""
    for name in EARLIER:
        (work_dir / name).write_text('earlier run')


def _files(work_dir):
    """The files at the top of ``work_dir`` but the Runner's config dump."""
    return sorted(p.name for p in work_dir.iterdir()
                  if p.is_file() and p.suffix != '.py')


def test_a_fresh_search_refuses_an_earlier_runs_work_dir(tmp_path, searched):
    _copy_run(searched, tmp_path)
    (tmp_path / 'genotype_epoch_2.yaml').write_text('an older run\'s')
    (tmp_path / 'epoch_2.pth').write_text('an older run\'s')
    runner = build_runner(_config(tmp_path))
    before = _files(tmp_path)
    with pytest.raises(FileExistsError) as err:
        runner.train()
    message = str(err.value)
    assert f'{runner.work_dir} already holds the files of an earlier ' \
        'DARTS search (epoch_1.pth, epoch_2.pth, genotype.yaml, ' \
        'genotype_epoch_1.yaml, genotype_epoch_2.yaml, ' \
        'last_checkpoint)' in message
    assert 'Continue that DARTS search with --resume, use a new ' \
        '--work-dir, or set train_cfg.overwrite=True (--cfg-options ' \
        'train_cfg.overwrite=True) to delete them first' in message
    assert _files(tmp_path) == before  # nothing removed, nothing written


def test_overwrite_deletes_them_before_the_search_writes(tmp_path):
    _earlier_run(tmp_path)
    runner = build_runner(_config(tmp_path, **{'train_cfg.overwrite': True}))
    messages = train_logged(runner)
    assert 'train_cfg.overwrite=True: removed epoch_2.pth, genotype.yaml, ' \
        'genotype_epoch_1.yaml, genotype_epoch_2.yaml, last_checkpoint of ' \
        f'an earlier DARTS search from {runner.work_dir}' in messages
    names = _files(tmp_path)
    assert 'genotype_epoch_2.yaml' not in names
    assert 'epoch_2.pth' not in names
    assert {
        'genotype_epoch_1.yaml', 'genotype.yaml', 'epoch_1.pth',
        'last_checkpoint'
    } <= set(names)
    # this run's own files
    assert torch.load(
        tmp_path / 'epoch_1.pth', weights_only=True)['meta']['epoch'] == 1


@pytest.fixture(scope='module')
def searched(tmp_path_factory):
    """The work dir of a finished one-epoch search."""
    work_dir = tmp_path_factory.mktemp('searched')
    build_runner(_config(work_dir)).train()
    return work_dir


def _copy_run(src, dst):
    import shutil
    for name in ('epoch_1.pth', 'genotype_epoch_1.yaml', 'genotype.yaml'):
        shutil.copy(src / name, dst / name)
    (dst / 'last_checkpoint').write_text(str(dst / 'epoch_1.pth'))


def test_resume_is_not_refused_and_overwrite_with_it_is(tmp_path, searched):
    _copy_run(searched, tmp_path)
    cfg = _config(
        tmp_path,
        resume='auto',
        **{
            'train_cfg.max_epochs': 2,
            'train_cfg.overwrite': True
        })
    assert cfg.resume and cfg.load_from == str(tmp_path / 'epoch_1.pth')
    runner = build_runner(cfg)
    with pytest.raises(ValueError) as err:
        runner.train_loop  # built (and the work dir claimed) on first use
    assert 'train_cfg.overwrite=True deletes the checkpoints of ' \
        f'{runner.work_dir} that --resume (resume=True, load_from=' \
        f"'{tmp_path / 'epoch_1.pth'}') would continue: drop one of " \
        'them' in str(err.value)
    assert _files(tmp_path) == sorted([
        'epoch_1.pth', 'genotype.yaml', 'genotype_epoch_1.yaml',
        'last_checkpoint'
    ])

    # --resume continues the search in its own work dir
    cfg = _config(tmp_path, resume='auto', **{'train_cfg.max_epochs': 2})
    runner = build_runner(cfg)
    runner.train()
    assert runner.epoch == 2
    assert (tmp_path / 'genotype_epoch_2.yaml').is_file()
    assert torch.load(
        tmp_path / 'epoch_2.pth', weights_only=True)['meta']['epoch'] == 2


def test_a_failed_starts_logs_and_configs_are_not_an_earlier_run(tmp_path):
    # what a run that failed while starting leaves: its log folder and the
    # dumped config
    (tmp_path / '20261207_101010').mkdir()
    (tmp_path / '20261207_101010' / '20261207_101010.log').write_text('x')
    (tmp_path / 'pcdarts_search_digits.py').write_text('x = 1\n')
    runner = build_runner(_config(tmp_path))
    assert runner.train_loop.max_epochs == 1  # built: the claim passed
