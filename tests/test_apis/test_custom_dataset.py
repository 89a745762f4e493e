"""Your own class-folder data: the dataset, ``data_root=`` / ``num_classes=``
on every shipped config, the search loops' loaders following the config's,
and class-count errors that name the keys to set."""
import glob
import os
import os.path as osp

import pytest

import mmrazor_lite  # noqa: F401  (registers the types)
from helpers.fake_data import make_fake_imagenet
from helpers.paths import REPO
from helpers.tools import load_module

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'demo', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'nas', '*', '*.py')))
DEMO = osp.join(REPO, 'configs', 'demo')


@pytest.fixture(scope='module')
def digit_folders(tmp_path_factory):
    """The digits as class folders (train / val / test, 3 per digit), with
    the PC-DARTS ImageNet search's subset lists made by the shipped tool."""
    root = str(tmp_path_factory.mktemp('digits'))
    load_module('tools/dataset_converters/digits_to_class_folders.py') \
        .write_digit_folders(root, size=12, per_class=3)
    sampler = load_module('tools/dataset_converters/sample_imagenet_subset.py')
    assert sampler.main([root]) == 0  # meta/train_10pct.txt, 2.5pct
    return root


def _build(dataset):
    from mmengine.registry import init_default_scope

    from mmrazor_lite.registry import DATASETS
    init_default_scope('mmrazor_lite')  # as the Runner: pipelines are ours
    # serialize_data=False: mmengine's serialisation runs gc (0.5 s each)
    return DATASETS.build(dict(dataset, serialize_data=False))


def test_class_folder_dataset_reads_folders_halves_and_sizes(digit_folders):
    from mmrazor_lite.datasets import ClassFolderDataset
    folders = dict(
        data_root=digit_folders, pipeline=[],
        serialize_data=False)  # no gc pass per dataset
    train = ClassFolderDataset(split='train', **folders)
    assert train.metainfo['classes'] == tuple(str(d) for d in range(10))
    assert len(train) == 30
    first = train[0]
    assert first['gt_label'] == 0 and first['img_path'].startswith(
        osp.join(digit_folders, 'train', '0'))
    # per class: two disjoint halves, every class in both
    halves = [
        ClassFolderDataset(split='train', split_range=r, **folders)
        for r in ((0, .5), (.5, 1))
    ]
    paths = [{d['img_path'] for d in h} for h in halves]
    assert not paths[0] & paths[1] and len(paths[0] | paths[1]) == 30
    assert {d['gt_label'] for d in halves[0]} == set(range(10)) == \
        {d['gt_label'] for d in halves[1]}
    # image_size: decoded here, RGB uint8 of that size (no loader needed)
    img = ClassFolderDataset(split='val', image_size=7, **folders)[5]['img']
    assert img.shape == (7, 7, 3) and str(img.dtype) == 'uint8'


def test_class_folder_dataset_errors_name_what_to_set(digit_folders, tmp_path):
    from mmrazor_lite.datasets import ClassFolderDataset
    with pytest.raises(FileNotFoundError) as err:
        ClassFolderDataset(digit_folders, split='holdout')
    assert "split 'holdout'" in str(err.value)
    assert "['meta', 'test', 'train', 'val']" in str(err.value)
    assert 'test_dataloader.dataset.split=val' in str(err.value)
    with pytest.raises(ValueError) as err:
        ClassFolderDataset(digit_folders, classes=['a', 'b', 'c'])
    assert 'has 10 class folders' in str(err.value)
    assert 'dataset.classes names 3 classes' in str(err.value)
    assert 'num_classes=10' in str(err.value)
    with pytest.raises(FileNotFoundError, match='data_root=DIR'):
        ClassFolderDataset(str(tmp_path / 'nowhere'))
    (tmp_path / 'bad.txt').write_text('0/x.png 12\n')
    with pytest.raises(ValueError, match='has 10 class folders'):
        ClassFolderDataset(digit_folders, ann_file=str(tmp_path / 'bad.txt'))


def test_checked_imagenet_class_count_mismatch_names_the_keys(tmp_path):
    from mmrazor_lite.datasets import CheckedImageNet
    root = make_fake_imagenet(str(tmp_path), num_classes=3, per_class=1)
    with pytest.raises(ValueError) as err:
        CheckedImageNet(data_root=root, split='train')
    message = str(err.value)
    assert 'has 3 class folders' in message and 'expects 1000' in message
    assert f'data_root={root} num_classes=3' in message
    assert 'model...head.num_classes=3' in message
    assert 'dataset.classes' in message


@pytest.mark.parametrize(
    'config', CONFIGS, ids=lambda c: osp.splitext(osp.basename(c))[0])
def test_data_root_and_num_classes_retarget_every_shipped_config(
        config, digit_folders):
    from mmrazor_lite.apis import build_config
    from mmrazor_lite.apis.data_options import config_loaders
    cfg = build_config(
        config,
        '/tmp/unused',
        cfg_options=dict(data_root=digit_folders, num_classes=10))
    loaders = config_loaders(cfg)
    keys = [key for key, _ in loaders]
    assert 'train_dataloader' in keys
    if cfg.train_cfg.get('type') in ('EvolutionSearchLoop',
                                     'ParetoSearchLoop'):
        assert {'train_cfg.dataloader',
                'train_cfg.calibrate_dataloader'} <= set(keys)
    if cfg.train_cfg.get('type') == 'DartsTrainLoop':
        assert 'train_cfg.arch_dataloader' in keys
    for key, loader in loaders:
        assert loader.dataset.type == 'ClassFolderDataset', key
        assert loader.dataset.data_root == digit_folders, key
        if 'test' in key:
            loader.dataset.split = 'test'  # CIFAR's val split is 'test'
        dataset = _build(loader.dataset)
        assert len(dataset) > 0 and len(dataset.metainfo['classes']) == 10
        sample = dataset[0]  # through the config's own pipeline
        assert sample['data_samples'].gt_label.item() in range(10), key

    def class_counts(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == 'num_classes' and isinstance(v, int):
                    yield v
                else:
                    yield from class_counts(v)
    counts = list(class_counts(cfg.model.to_dict())) + \
        list(class_counts(cfg.data_preprocessor.to_dict()))
    assert counts and set(counts) == {10}


def test_num_classes_below_five_drops_top5(digit_folders):
    from mmrazor_lite.apis import build_config
    cfg = build_config(
        osp.join(DEMO, 'spos_search_digits.py'),
        '/tmp/u',
        cfg_options=dict(num_classes=3))
    assert cfg.model.architecture.head.topk == (1, )
    assert cfg.train_cfg.evaluator.topk == (1, )
    assert cfg.model.architecture.head.num_classes == 3
    with pytest.raises(ValueError, match='an int >= 1'):
        build_config(
            osp.join(DEMO, 'spos_search_digits.py'),
            '/tmp/u',
            cfg_options=dict(num_classes='ten'))


def test_search_loaders_follow_the_config_loaders_unless_set():
    from mmrazor_lite.apis import build_config
    search = osp.join(DEMO, 'spos_search_digits.py')
    # one option on the config's loader reaches the loop that follows it
    cfg = build_config(
        search,
        '/tmp/u',
        cfg_options={
            'train_dataloader.dataset.image_size': 16,
            'val_dataloader.dataset.indices': 20,
            'train_cfg.dataloader.batch_size': 7
        })
    loop = cfg.train_cfg
    assert loop.calibrate_dataloader.dataset.image_size == 16
    assert loop.calibrate_dataloader.dataset.split == 'train'
    assert loop.dataloader.dataset.split == 'val'
    assert loop.dataloader.dataset.indices == 20
    assert loop.dataloader.batch_size == 7  # a partial dict: merged over
    # no validation in a search: the Runner gets no val loader
    assert cfg.val_dataloader is None and cfg.val_evaluator is None
    # a loader of the loop's own (a dataset type) is kept as it is
    own = dict(type='SklearnDigits', split='test', pipeline=[])
    cfg = build_config(
        search,
        '/tmp/u',
        cfg_options={
            'train_cfg.calibrate_dataloader': dict(batch_size=4, dataset=own)
        })
    assert cfg.train_cfg.calibrate_dataloader.dataset.split == 'test'
    # DARTS: the architecture split follows val_dataloader, shuffled
    cfg = build_config(
        osp.join(DEMO, 'pcdarts_search_digits.py'),
        '/tmp/u',
        cfg_options={'val_dataloader.dataset.image_size': 8})
    arch = cfg.train_cfg.arch_dataloader
    assert arch.dataset.split == 'val' and arch.dataset.image_size == 8
    assert arch.sampler.shuffle is True
    assert cfg.val_dataloader.sampler.shuffle is False


def test_a_loop_with_nothing_to_follow_is_refused(tmp_path):
    from mmrazor_lite.apis import build_config
    config = tmp_path / 'search_without_val.py'
    config.write_text(
        f"_base_ = [{osp.join(DEMO, 'spos_search_digits.py')!r}]\n"
        "val_dataloader = None\n")
    with pytest.raises(ValueError) as err:
        build_config(str(config), str(tmp_path))
    message = str(err.value)
    assert 'search_without_val.py' in message
    assert 'train_cfg.dataloader is not set' in message
    assert 'no val_dataloader for it to follow' in message


def test_head_too_small_names_the_num_classes_option(tmp_path, digit_folders):
    import shutil

    from mmrazor_lite.engine.hooks.class_count_check_hook import \
        ClassCountCheckHook
    root = str(tmp_path / 'twelve')
    shutil.copytree(digit_folders, root)
    for extra in ('x', 'y'):
        os.makedirs(osp.join(root, 'train', extra))
        shutil.copy(
            glob.glob(osp.join(root, 'train', '0', '*'))[0],
            osp.join(root, 'train', extra))
    from mmrazor_lite.datasets import ClassFolderDataset
    dataset = ClassFolderDataset(root, pipeline=[])

    class Loop:  # what the hook reads of a runner
        dataloader = type('Loader', (), {'dataset': dataset})()

    class Runner:
        train_loop = Loop()
        model = _tiny_classifier(10)

    with pytest.raises(ValueError) as err:
        ClassCountCheckHook().before_train(Runner())
    assert 'num_classes=10' in str(err.value)
    assert '--cfg-options num_classes=12' in str(err.value)


def _tiny_classifier(num_classes):
    import torch.nn as nn

    class Head(nn.Module):

        def __init__(self):
            super().__init__()
            self.num_classes = num_classes

    class Classifier(nn.Module):

        def __init__(self):
            super().__init__()
            self.head = Head()

    return Classifier()


def test_data_root_without_num_classes_warns_with_the_model_count(
        digit_folders, monkeypatch):
    from mmrazor_lite.apis import build_config, data_options
    logged = []
    monkeypatch.setattr(data_options, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    config = osp.join(REPO, 'configs', 'nas', 'spos',
                      'spos_supernet_shufflenetv2_8xb128_in1k.py')
    cfg = build_config(
        config, '/tmp/u', cfg_options=dict(data_root=digit_folders))
    assert cfg.model.architecture.head.num_classes == 1000
    warnings = [m for m, kw in logged if kw.get('level') == 30]
    assert len(warnings) == 1
    assert 'without num_classes' in warnings[0]
    assert 'model.architecture.head.num_classes=1000' in warnings[0]
    # and what was set is logged, loader by loader
    assert f'train_dataloader.dataset: ClassFolderDataset at ' \
        f'{digit_folders}/train' in logged[-1][0]
