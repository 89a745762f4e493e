"""A trained checkpoint is tested and exported as the network it was
trained as (issue 13, defects 1 and 2), on the digits demo configs."""
import os.path as osp
import pickle

import pytest
import torch
import yaml

import mmrazor_lite  # noqa: F401  (allow-lists what checkpoints hold)
from mmrazor_lite.structures.genotype import GENOTYPES
from helpers.paths import REPO
from helpers.tools import load_module, run_tool_in_process

DARTS_CONFIG = osp.join(REPO, 'configs', 'demo', 'pcdarts_subnet_digits.py')
SPOS_CONFIG = osp.join(REPO, 'configs', 'demo', 'spos_subnet_digits.py')
SPOS_BLOCKS = [
    'backbone.layers.0.0', 'backbone.layers.1.0', 'backbone.layers.2.0',
    'backbone.layers.2.1', 'backbone.layers.3.0'
]


def _test(config, checkpoint, work_dir, *options):
    """tools/test.py in-process; its metrics."""
    argv = [str(config), checkpoint, '--work-dir', work_dir]
    if options:
        argv += ['--cfg-options', *options]
    return load_module('tools/test.py', 'test_tool').main(argv)


def _train(config, work_dir, *options):
    proc = run_tool_in_process(
        'tools/train.py',
        [config, '--work-dir', work_dir, '--cfg-options', *options])
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope='module')
def darts_checkpoint(tmp_path_factory):
    """The digits cell trained 1 epoch as DARTS_V1, not the config's
    default (PC_DARTS_cifar)."""
    work_dir = str(tmp_path_factory.mktemp('darts_train'))
    _train(DARTS_CONFIG, work_dir, 'model.backbone.genotype=DARTS_V1',
           'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
           'default_hooks.checkpoint.interval=1')
    return osp.join(work_dir, 'epoch_1.pth')


def test_darts_checkpoint_records_and_tests_its_own_cell(
        darts_checkpoint, tmp_path):
    meta = torch.load(darts_checkpoint, weights_only=True)['meta']
    assert meta['genotype'] == GENOTYPES['DARTS_V1'].to_dict()
    # the README's test command (no genotype on the command line) scores
    # exactly what the explicitly right cell scores, sample by sample
    scores = {}
    for name, options in (('implicit', ()),
                          ('explicit',
                           ('model.backbone.genotype=DARTS_V1', ))):
        dump = tmp_path / f'{name}.pkl'
        config = tmp_path / f'{name}.py'
        config.write_text(
            f'_base_ = [{DARTS_CONFIG!r}]\n'
            f'test_evaluator = [dict(type="Accuracy", topk=(1, )), '
            f'dict(type="DumpResults", out_file_path={str(dump)!r})]\n')
        _test(config, darts_checkpoint, str(tmp_path / name), *options)
        with open(dump, 'rb') as f:
            scores[name] = torch.stack(
                [sample['pred_score'] for sample in pickle.load(f)])
    assert torch.equal(scores['implicit'], scores['explicit'])


def test_darts_checkpoint_with_another_explicit_cell_is_refused(
        darts_checkpoint, tmp_path):
    from mmrazor_lite.structures.architecture_meta import \
        ArchitectureMismatchError
    with pytest.raises(
            ArchitectureMismatchError,
            match=r"(?s)genotype='PC_DARTS_cifar'.*epoch_1\.pth"):
        _test(DARTS_CONFIG, darts_checkpoint, str(tmp_path),
              'model.backbone.genotype=PC_DARTS_cifar')


def test_darts_checkpoint_without_meta_loads_strictly(darts_checkpoint,
                                                      tmp_path):
    """An older checkpoint (no meta.genotype) of another cell: a clear
    error, not a test of half-random weights."""
    from mmrazor_lite.fileio.checkpoint_io import CheckpointError
    state = torch.load(darts_checkpoint, weights_only=True)['state_dict']
    bare = str(tmp_path / 'bare.pth')
    torch.save({'state_dict': state, 'meta': {}}, bare)
    with pytest.raises(
            CheckpointError,
            match=r'(?s)bare\.pth: its weights do not fit.*'
            r'(missing|unexpected|shape)'):
        _test(DARTS_CONFIG, bare, str(tmp_path / 'test'))


def test_export_builds_the_checkpoints_cell(darts_checkpoint, tmp_path):
    export = load_module('tools/model_converters/export_subnet.py')
    out = str(tmp_path / 'cell.pth')
    result = export.export_subnet(
        DARTS_CONFIG, darts_checkpoint, out, shape=(32, 32))
    assert result['meta']['genotype'] == GENOTYPES['DARTS_V1'].to_dict()
    saved = torch.load(darts_checkpoint, weights_only=True)['state_dict']
    for key, value in result['state_dict'].items():
        assert torch.equal(value, saved[key]), key
    # an explicit, different cell: one line naming both, exit 1
    proc = run_tool_in_process('tools/model_converters/export_subnet.py', [
        DARTS_CONFIG, darts_checkpoint, '--out',
        str(tmp_path / 'x.pth'), '--cfg-options',
        'model.backbone.genotype=DARTS_V2'
    ])
    assert proc.returncode == 1
    assert 'DARTS_V2' in proc.stderr and 'epoch_1.pth' in proc.stderr
    assert 'Traceback' not in proc.stderr


@pytest.fixture(scope='module')
def spos_checkpoint(tmp_path_factory):
    """A retrained digits subnet (a few iterations) with meta.fix_subnet."""
    root = tmp_path_factory.mktemp('spos_train')
    subnet = {
        b: {
            'chosen': n
        }
        for b, n in zip(SPOS_BLOCKS, [
            'shuffle_7x7', 'shuffle_xception', 'shuffle_3x3', 'shuffle_5x5',
            'shuffle_7x7'
        ])
    }
    path = root / 'subnet.yaml'
    path.write_text(yaml.safe_dump(subnet))
    work_dir = str(root / 'train')
    _train(SPOS_CONFIG, work_dir, f'model.fix_subnet={path}',
           'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
           'default_hooks.checkpoint.interval=3')
    return osp.join(work_dir, 'iter_3.pth'), subnet


def test_spos_test_tool_reads_the_subnet_of_the_checkpoint(
        spos_checkpoint, tmp_path):
    checkpoint, subnet = spos_checkpoint
    # the mmpretrain habit: CONFIG CKPT, nothing else
    positional = _test(SPOS_CONFIG, checkpoint, str(tmp_path / 'a'))
    via_init_cfg = _test(SPOS_CONFIG, 'none', str(tmp_path / 'b'),
                         f'model.init_cfg.checkpoint={checkpoint}')
    assert positional == via_init_cfg


def test_spos_checkpoint_with_another_explicit_subnet_is_refused(
        spos_checkpoint, tmp_path):
    from mmrazor_lite.structures.architecture_meta import \
        ArchitectureMismatchError
    checkpoint, subnet = spos_checkpoint
    # same shapes: 3x3 <-> 5x5 differ, so swap two blocks of equal kind
    other = dict(subnet)
    other['backbone.layers.0.0'] = {'chosen': 'shuffle_3x3'}
    path = tmp_path / 'other.yaml'
    path.write_text(yaml.safe_dump(other))
    with pytest.raises(
            ArchitectureMismatchError,
            match=r"backbone\.layers\.0\.0: checkpoint "
            r"'shuffle_7x7' vs built 'shuffle_3x3'"):
        _test(SPOS_CONFIG, checkpoint, str(tmp_path / 't'),
              f'model.fix_subnet={path}')


def test_training_from_a_checkpoint_of_another_cell_is_refused(
        darts_checkpoint, tmp_path):
    """load_from (non-strict in mmengine) of a DARTS_V1 checkpoint into
    the config's default cell would train a half-loaded network."""
    proc = run_tool_in_process('tools/train.py', [
        DARTS_CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options', f'load_from={darts_checkpoint}',
        'train_cfg.max_epochs=1'
    ])
    assert proc.returncode == 1
    assert 'ArchitectureMismatchError' in proc.stderr
    assert 'was trained as another DARTS cell' in proc.stderr
    assert not osp.exists(osp.join(tmp_path, 'epoch_1.pth'))
