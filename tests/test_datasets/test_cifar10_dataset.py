import os
import os.path as osp
import pickle

import numpy as np
import pytest

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.datasets import CheckedCIFAR10
from mmrazor_lite.registry import DATASETS
from helpers.fake_data import CIFAR10_NAMES, make_fake_cifar10

PER_BATCH = 20


@pytest.fixture(scope='module')
def cifar_root(tmp_path_factory):
    return make_fake_cifar10(
        str(tmp_path_factory.mktemp('cifar')),
        per_batch=PER_BATCH,
        test_size=12)


def read_batch(root, name):
    with open(osp.join(root, 'cifar-10-batches-py', name), 'rb') as f:
        return pickle.loads(f.read(), encoding='latin1')


def images_and_labels(ds):
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    return [i['img'] for i in infos], [i['gt_label'] for i in infos]


@pytest.fixture
def no_download(monkeypatch):

    def fail(*args, **kwargs):
        pytest.fail('a download was attempted')

    import mmpretrain.datasets.cifar as cifar
    import mmpretrain.datasets.utils as utils
    monkeypatch.setattr(cifar, 'download_and_extract_archive', fail)
    monkeypatch.setattr(utils, 'download_and_extract_archive', fail)


def test_fake_data_loads_as_written(cifar_root):
    train = CheckedCIFAR10(
        data_root=cifar_root, split='train', verify_md5=False)
    test = CheckedCIFAR10(data_root=cifar_root, split='test', verify_md5=False)
    assert len(train) == 5 * PER_BATCH and len(test) == 12
    assert list(train.CLASSES) == CIFAR10_NAMES

    imgs, labels = images_and_labels(train)
    written = [read_batch(cifar_root, f'data_batch_{i}') for i in range(1, 6)]
    assert labels == sum((b['labels'] for b in written), [])
    # Index the raw rows directly: pixel (h, w, c) of image k is at
    # c*1024 + h*32 + w (R, G, B planes, each row-major).
    k = PER_BATCH + 3  # 4th image of data_batch_2
    row = written[1]['data'][3]
    img = imgs[k]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    for h, w, c in [(0, 0, 0), (5, 17, 1), (31, 2, 2), (13, 31, 0)]:
        assert img[h, w, c] == row[c * 1024 + h * 32 + w]
    # Classes are learnable: the image mean follows the class colour.
    same = [im.mean((0, 1)) for im, lb in zip(imgs, labels) if lb == labels[0]]
    other = [
        im.mean((0, 1)) for im, lb in zip(imgs, labels) if lb != labels[0]
    ]
    spread = np.abs(np.array(same) - same[0]).max()
    assert spread < min(np.abs(o - same[0]).max() for o in other)

    _, test_labels = images_and_labels(test)
    assert test_labels == read_batch(cifar_root, 'test_batch')['labels']


def test_default_md5_check_refuses_fake_data(cifar_root, no_download):
    with pytest.raises(RuntimeError) as err:
        CheckedCIFAR10(data_root=cifar_root, split='train')
    msg = str(err.value)
    assert 'data_batch_1' in msg and 'md5' in msg
    assert 'verify_md5=False' in msg


def test_split_range_halves_are_disjoint_ordered_and_complete(cifar_root):
    full, full_labels = images_and_labels(
        CheckedCIFAR10(data_root=cifar_root, verify_md5=False))
    first, first_labels = images_and_labels(
        CheckedCIFAR10(
            data_root=cifar_root, verify_md5=False, split_range=(0.0, 0.5)))
    second, second_labels = images_and_labels(
        CheckedCIFAR10(
            data_root=cifar_root, verify_md5=False, split_range=(0.5, 1.0)))
    n = len(full)
    assert len(first) == len(second) == n // 2
    # In file order: the halves are exactly the two slices, which together
    # are the whole split and share no image.
    assert all(np.array_equal(a, b) for a, b in zip(first + second, full))
    assert first_labels + second_labels == full_labels
    # Non-half cut: rounding as documented.
    third = CheckedCIFAR10(
        data_root=cifar_root, verify_md5=False, split_range=(1 / 3, 0.9))
    lo, hi = round(n / 3), round(0.9 * n)
    assert len(third) == hi - lo
    assert np.array_equal(third.get_data_info(0)['img'], full[lo])
    assert np.array_equal(
        third.get_data_info(len(third) - 1)['img'], full[hi - 1])


def test_missing_data_is_a_clear_error_and_nothing_is_downloaded(
        tmp_path, no_download):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as err:
        CheckedCIFAR10(data_root=str(empty), split='train')
    msg = str(err.value)
    assert str(empty) in msg
    for name in [
            'data_batch_1', 'data_batch_5', 'test_batch', 'batches.meta',
            'cifar-10-python.tar.gz'
    ]:
        assert name in msg
    assert os.listdir(empty) == []

    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match='nowhere'):
        CheckedCIFAR10(data_root=str(missing), split='test')
    assert not missing.exists()

    with pytest.raises(FileNotFoundError, match='data_root'):
        CheckedCIFAR10(data_root='', split='train')

    # One file missing: the error names that file.
    root = make_fake_cifar10(
        str(tmp_path / 'partial'), per_batch=2, test_size=2)
    os.remove(osp.join(root, 'cifar-10-batches-py', 'test_batch'))
    with pytest.raises(FileNotFoundError, match='lacks test_batch'):
        CheckedCIFAR10(data_root=root, split='train', verify_md5=False)


def test_download_true_is_refused(cifar_root, no_download):
    with pytest.raises(ValueError, match='Nothing is downloaded') as err:
        CheckedCIFAR10(data_root=cifar_root, download=True, verify_md5=False)
    assert 'cifar-10-python.tar.gz' in str(err.value)


@pytest.mark.parametrize('split_range', [(0.5, 0.5), (0.6, 0.4), (-0.1, 0.5),
                                         (0.2, 1.1)])
def test_bad_split_range_is_refused(cifar_root, split_range):
    with pytest.raises(ValueError, match='split_range'):
        CheckedCIFAR10(
            data_root=cifar_root, verify_md5=False, split_range=split_range)


def test_builds_from_config_dict(cifar_root):
    ds = DATASETS.build(
        dict(
            type='CheckedCIFAR10',
            data_root=cifar_root,
            split='train',
            verify_md5=False,
            split_range=(0.5, 1.0),
            pipeline=[dict(type='PackInputs')]))
    assert isinstance(ds, CheckedCIFAR10) and len(ds) == 5 * PER_BATCH // 2
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 32, 32)
    first_of_second_half = read_batch(cifar_root, 'data_batch_3')
    # Image 50 of 100 is image 10 of data_batch_3.
    assert sample['data_samples'].gt_label.item() == \
        first_of_second_half['labels'][10]
    assert np.array_equal(sample['inputs'].numpy().reshape(3072),
                          first_of_second_half['data'][10])
