"""A search loop's own data loader is merged over the loader it follows
(issue 23, defect 1), in the three forms a user config writes it.

A user config inherits the shipped digits demo and gives the search its
own class-folder data. Before, the loader that named a dataset was taken
as it was (batch size 1, no sampler: BN re-estimation crashed), the
inherited ``val_dataloader`` of a config without validation made mmengine
refuse the config, and ``_delete_`` reached the dataset as a keyword.
"""
import os.path as osp

import pytest
from mmengine.config import Config

from mmrazor_lite.apis import build_config
from helpers.paths import REPO
from helpers.search_pipeline import run, tiny_config
from helpers.tools import load_module

DEMO = osp.join(REPO, 'configs', 'demo')
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=32),
    dict(type='PackInputs')
]
#: the loop key, the config loader it follows, the class-folder split
SPOS_KEYS = (('dataloader', 'val_dataloader', 'val'),
             ('calibrate_dataloader', 'train_dataloader', 'train'))
DARTS_KEYS = (('arch_dataloader', 'val_dataloader', 'val'), )
FORMS = ('own_dataset', 'own_dataset_and_no_val_loader', 'delete_idiom')


@pytest.fixture(scope='module')
def digit_folders(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('digit_folders'))
    load_module('tools/dataset_converters/digits_to_class_folders.py') \
        .write_digit_folders(root, size=12, per_class=4)
    return root


def _dataset(root: str, split: str, form: str) -> dict:
    dataset = dict(
        type='CustomDataset',
        data_root=root,
        data_prefix=split,
        pipeline=PIPELINE)
    if form == 'delete_idiom':
        dataset = dict(_delete_=True, **dataset)
    return dataset


def _user_config(tmp_path,
                 base: str,
                 keys,
                 root: str,
                 form: str,
                 extra: str = '') -> str:
    """A user config that inherits ``base`` and gives the loop its data."""
    loaders = ', '.join(f'{key}=dict(dataset={_dataset(root, split, form)!r})'
                        for key, _, split in keys)
    text = (f'_base_ = [{osp.join(DEMO, base)!r}]\n'
            f'train_cfg = dict({loaders})\n')
    if form == 'own_dataset_and_no_val_loader':
        text += 'val_dataloader = None\n'
    path = tmp_path / f'user_{form}.py'
    path.write_text(text + extra)
    return str(path)


def _followed(base: str) -> Config:
    return build_config(osp.join(DEMO, base), '/tmp/unused')


def _check_merged(cfg, base_cfg, keys, root, form):
    for key, source, split in keys:
        loader = cfg.train_cfg[key]
        if form == 'own_dataset_and_no_val_loader' and \
                source == 'val_dataloader':
            continue  # checked apart: nothing to follow
        followed = base_cfg.train_cfg[key]
        # the followed loader's batch size, sampler and workers are kept
        for name in ('batch_size', 'sampler', 'num_workers',
                     'persistent_workers'):
            assert loader[name] == followed[name], (form, key, name)
        # the dataset is the user's, whole, and no _delete_ is passed on
        assert dict(loader['dataset']) == _dataset(root, split, 'plain'), \
            (form, key)
    assert cfg.get('val_dataloader') is None  # the config has no val_cfg
    assert cfg.get('val_evaluator') is None


@pytest.mark.parametrize('form', FORMS)
def test_evolution_search_loaders_merge_over_the_followed(
        form, tmp_path, digit_folders):
    config = _user_config(tmp_path, 'spos_search_digits.py', SPOS_KEYS,
                          digit_folders, form)
    base_cfg = _followed('spos_search_digits.py')
    if form == 'own_dataset_and_no_val_loader':
        # nothing to follow for train_cfg.dataloader: the error names the
        # key it lacks instead of running with batch size 1
        with pytest.raises(ValueError) as err:
            build_config(config, str(tmp_path / 'work'))
        message = str(err.value)
        assert 'train_cfg.dataloader.batch_size not set' in message
        assert 'val_dataloader is None' in message
        return
    cfg = build_config(config, str(tmp_path / 'work'))
    _check_merged(cfg, base_cfg, SPOS_KEYS, digit_folders, form)


@pytest.mark.parametrize('form', FORMS)
def test_darts_loop_arch_loader_merges_over_the_followed(
        form, tmp_path, digit_folders):
    # the DARTS demo validates (val_cfg set): val_dataloader stays unless
    # the user config removes it
    config = _user_config(
        tmp_path,
        'pcdarts_search_digits.py',
        DARTS_KEYS,
        digit_folders,
        form,
        extra='val_cfg = None\n')
    base_cfg = _followed('pcdarts_search_digits.py')
    if form == 'own_dataset_and_no_val_loader':
        with pytest.raises(ValueError) as err:
            build_config(config, str(tmp_path / 'work'))
        assert 'train_cfg.arch_dataloader.batch_size not set' in \
            str(err.value)
        return
    cfg = build_config(config, str(tmp_path / 'work'))
    _check_merged(cfg, base_cfg, DARTS_KEYS, digit_folders, form)


def test_a_complete_own_loader_needs_nothing_to_follow(tmp_path,
                                                       digit_folders):
    dataset = _dataset(digit_folders, 'val', 'plain')
    path = tmp_path / 'own.py'
    path.write_text(
        f"_base_ = [{osp.join(DEMO, 'spos_search_digits.py')!r}]\n"
        f'val_dataloader = None\n'
        f'train_cfg = dict(dataloader=dict(batch_size=7, dataset={dataset!r},'
        f" sampler=dict(type='DefaultSampler', shuffle=False)))\n")
    cfg = build_config(str(path), str(tmp_path / 'work'))
    assert cfg.train_cfg.dataloader.batch_size == 7
    assert dict(cfg.train_cfg.dataloader.dataset) == dataset


def test_the_search_runs_on_its_own_class_folder_data(tmp_path, digit_folders,
                                                      supernet_ckpt):
    """Form one end to end: BN re-estimation gets the followed batch size
    (it crashed on batch size 1) and the search writes its result."""
    config = _user_config(tmp_path, 'spos_search_digits.py', SPOS_KEYS,
                          digit_folders, 'own_dataset')
    cfg = build_config(config, str(tmp_path / 'work'))
    tiny = tiny_config(tmp_path / 'unused')  # the fixture's supernet
    cfg.model = tiny.model
    cfg.train_cfg.update(
        max_epochs=1,
        num_candidates=2,
        top_k=1,
        num_mutation=1,
        num_crossover=1,
        calibrate_samples=16,
        flops_range=None,
        input_shape=(1, 3, 32, 32))
    cfg.load_from = supernet_ckpt
    run(cfg)
    assert osp.isfile(tmp_path / 'work' / 'best_fix_subnet.yaml')
