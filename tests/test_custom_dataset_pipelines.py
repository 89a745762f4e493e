"""Every stage of both pipelines on a class-folder data set: the commands of
docs/custom_dataset.md as written there (``--cfg-options data_root=DIR
num_classes=N`` on the shipped configs), with this test's folders and
options that shrink networks and schedules to seconds."""
import os.path as osp
import uuid

import pytest
import torch
import yaml

from helpers.doc_blocks import marked_block, shell_commands
from helpers.paths import REPO
from helpers.tools import load_module, run_tool_in_process

DOC = osp.join(REPO, 'docs', 'custom_dataset.md')
#: the demo ShuffleNetV2 supernet, smaller still (as test_spos_pipeline)
TINY_SPOS = [
    'model.architecture.backbone.widen_factor=0.25',
    'model.architecture.backbone.stage_blocks=(1,1,2,1)',
    'model.architecture.backbone.last_channels=64',
    'model.architecture.head.in_channels=64'
] + [
    f'{loader}.dataset.image_size=16'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
]
TWO_ITERS = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'param_scheduler.0.end=2', 'default_hooks.checkpoint.interval=2',
    'train_dataloader.batch_size=12'
]
ONE_EPOCH = [
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
    'train_dataloader.batch_size=12'
]
#: (tool, config) of a documented command -> the options that shrink it
SHRINK = {
    ('train', 'spos_supernet_shufflenetv2_digits.py'):
    TINY_SPOS + TWO_ITERS,
    ('train', 'spos_search_digits.py'):
    TINY_SPOS + [
        'train_cfg.max_epochs=1', 'train_cfg.num_candidates=3',
        'train_cfg.top_k=1', 'train_cfg.calibrate_samples=16',
        'train_cfg.input_shape=(1,3,16,16)'
    ],
    ('train', 'spos_subnet_digits.py'):
    TINY_SPOS + TWO_ITERS,
    ('test', 'spos_subnet_digits.py'):
    TINY_SPOS,
    # 3 cells, 2 steps of 4 images (the architecture's: val/ images), no
    # validation (seconds on CPU for this network)
    ('train', 'pcdarts_search_digits.py'): [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
        'model.architecture.backbone.num_layers=3',
        'train_dataloader.batch_size=4', 'train_dataloader.dataset.indices=8',
        'val_dataloader.batch_size=4', 'val_dataloader.dataset.indices=8',
        'train_cfg.arch_begin_epoch=0',
        'param_scheduler.architecture.0.T_max=1',
        'param_scheduler.architecture.0.end=1'
    ],
    ('train', 'pcdarts_subnet_digits.py'):
    ONE_EPOCH + [
        'train_dataloader.batch_size=4', 'train_dataloader.dataset.indices=8',
        'param_scheduler.0.T_max=1', 'param_scheduler.0.end=1',
        'default_hooks.checkpoint.interval=1'
    ],
    ('test', 'pcdarts_subnet_digits.py'): [],
}
#: the documented schedules' checkpoints -> the shrunk ones'
CHECKPOINTS = {
    'iter_1000.pth': 'iter_2.pth',
    'iter_300.pth': 'iter_2.pth',
    'epoch_4.pth': 'epoch_1.pth'
}


@pytest.fixture(scope='module')
def digit_folders(tmp_path_factory):
    """12 classes (the 10 digits and two more) x 2 images per split."""
    import shutil
    tool = load_module('tools/dataset_converters/digits_to_class_folders.py')
    root = str(tmp_path_factory.mktemp('digit_folders'))
    tool.write_digit_folders(root, size=20, per_class=2)
    for split in ('train', 'val', 'test'):
        # two more classes, so no shipped class count fits by chance
        for extra, source in (('x', '0'), ('y', '1')):
            shutil.copytree(
                osp.join(root, split, source), osp.join(root, split, extra))
    return root


def run_documented(name, data_root, work_dirs):
    """Run block ``name`` of the doc on ``data_root``, in ``work_dirs``."""
    outputs = []
    for command in shell_commands(marked_block(DOC, name)[1]):
        python, tool, config, *args = command
        assert python == 'python' and '--cfg-options' in args, command
        args = [
            a.replace('data_root=data/digits',
                      f'data_root={data_root}').replace(
                          'num_classes=10',
                          'num_classes=12').replace('work_dirs/',
                                                    f'{work_dirs}/')
            for a in args
        ]
        for documented, shrunk in CHECKPOINTS.items():
            args = [a.replace(documented, shrunk) for a in args]
        key = (osp.splitext(osp.basename(tool))[0], osp.basename(config))
        args += SHRINK[key] + [f'experiment_name=t{uuid.uuid4().hex[:8]}']
        proc = run_tool_in_process(tool, [config, *args])
        assert proc.returncode == 0, \
            f'{command}\n' + proc.stdout[-3000:] + proc.stderr[-5000:]
        outputs.append(proc.stdout + proc.stderr)
    return outputs


def test_spos_stages_on_class_folders(tmp_path, digit_folders):
    out = run_documented('spos', digit_folders, tmp_path)
    assert len(out) == 4 and 'generation [1/1]' in out[1]
    assert 'accuracy/top1' in out[3]
    found = yaml.safe_load(
        (tmp_path / 'my_search' / 'best_fix_subnet.yaml').read_text())
    retrained = torch.load(
        tmp_path / 'my_subnet' / 'iter_2.pth', weights_only=True)
    assert retrained['meta']['fix_subnet'] == {
        k: v['chosen']
        for k, v in found.items()
    }
    # a 12-way head from stage 1 to 4; the classes are the folders
    assert retrained['state_dict']['head.fc.weight'].shape[0] == 12
    assert retrained['meta']['dataset_meta']['classes'] == ('0', '1', '2', '3',
                                                            '4', '5', '6', '7',
                                                            '8', '9', 'x', 'y')


def test_pcdarts_stages_on_class_folders(tmp_path, digit_folders):
    out = run_documented('pcdarts', digit_folders, tmp_path)
    assert len(out) == 3 and 'accuracy/top1' in out[2]
    assert (tmp_path / 'my_pcdarts_search' / 'genotype.yaml').is_file()
    trained = torch.load(
        tmp_path / 'my_cell' / 'epoch_1.pth', weights_only=True)
    assert trained['state_dict']['head.classifier.weight'].shape[0] == 12
    assert len(trained['meta']['dataset_meta']['classes']) == 12
