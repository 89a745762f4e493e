import pytest

from mmrazor_lite.datasets import CheckedImageNet, SklearnDigits
from helpers.fake_data import make_fake_imagenet


@pytest.mark.parametrize('layout', ['folders', 'ann'])
def test_both_imagenet_layouts_load(tmp_path, layout):
    root = make_fake_imagenet(
        str(tmp_path), num_classes=2, per_class=3, layout=layout)
    kwargs = dict(metainfo=dict(classes=('a', 'b'))) \
        if layout == 'folders' else {}
    ds = CheckedImageNet(data_root=root, split='train', **kwargs)
    assert len(ds) == 6
    assert sorted({ds.get_data_info(i)['gt_label'] for i in range(6)}) == \
        [0, 1]


def test_missing_or_empty_root_names_the_path(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere.*not a directory'):
        CheckedImageNet(data_root=missing, split='train')
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty.*is empty'):
        CheckedImageNet(data_root=str(empty), split='train')
    (empty / 'train').mkdir()
    (empty / 'train' / 'x.JPEG').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='no class folders'):
        CheckedImageNet(data_root=str(empty), split='train')
    with pytest.raises(FileNotFoundError, match='ann file'):
        CheckedImageNet(
            data_root=str(empty), split='train', ann_file='meta/missing.txt')


def test_digits_splits_are_disjoint_and_complete():
    splits = {
        s: SklearnDigits(split=s, image_size=16)
        for s in ('train', 'val', 'test')
    }
    assert sum(len(d) for d in splits.values()) == 1797
    img = splits['train'].get_data_info(0)['img']
    assert img.shape == (16, 16, 3) and img.dtype.name == 'uint8'
    with pytest.raises(ValueError, match="'dev'"):
        SklearnDigits(split='dev')
