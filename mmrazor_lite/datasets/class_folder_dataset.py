"""Your own images, one folder per class: ``DATA_ROOT/<split>/<class>/<img>``.

The data set every shipped config switches to with ``--cfg-options
data_root=DIR`` (see :mod:`mmrazor_lite.apis.data_options` and
docs/custom_dataset.md). It takes the keys of the datasets it replaces
(``split``, ``data_prefix``, ``ann_file`` of ImageNet; ``split_range`` of
CIFAR-10; ``image_size`` of the digits), so a config's data block can be
pointed at class folders by changing its ``type`` and ``data_root`` alone.
"""
import os
import os.path as osp
from typing import Optional, Sequence, Union

import cv2
from mmengine.fileio import list_from_file
from mmpretrain.datasets import CustomDataset

from mmrazor_lite.registry import DATASETS

LAYOUT = ('expected {root}/<split>/<class>/<image> (e.g. {root}/train/cat/'
          '001.png, {root}/val/cat/002.png), one folder per class, the same '
          'class folders in every split')


def _subfolders(path: str) -> list:
    return sorted(d for d in os.listdir(path) if osp.isdir(osp.join(path, d)))


@DATASETS.register_module()
class ClassFolderDataset(CustomDataset):
    """Images in class folders; labels are the sorted folder order.

    Args:
        data_root (str): the folder holding one folder per split.
        split (str): the split's folder under ``data_root`` (``'train'``,
            ``'val'``, ``'test'``) unless ``data_prefix`` names another.
        data_prefix (str): the split's folder, relative to ``data_root``.
        ann_file (str): optional ``'<path relative to the split folder>
            <label>'`` lines choosing the images (e.g. the subset lists of
            ``tools/dataset_converters/sample_imagenet_subset.py``); the
            classes are still the class folders.
        classes (Sequence[str] | str, optional): a name per class folder
            (in sorted folder order) or a file of names, one a line;
            default: the folder names.
        image_size (int, optional): read each image here, as an RGB uint8
            ``image_size`` x ``image_size`` array in ``img`` (for pipelines
            without ``LoadImageFromFile``, as the digits and CIFAR-10
            configs have); None: ``img_path`` for ``LoadImageFromFile``.
        split_range (tuple[float, float]): ``(start, end)`` fractions kept of
            every class: images ``[round(start*n), round(end*n))`` in
            sorted path order. ``(0, 0.5)`` and ``(0.5, 1)`` cut a split in
            two disjoint halves with all classes in both.
        **kwargs: ``pipeline``, ``indices``, ... of mmpretrain's
            ``BaseDataset``.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 data_prefix: str = '',
                 ann_file: str = '',
                 classes: Union[Sequence[str], str, None] = None,
                 image_size: Optional[int] = None,
                 split_range: Sequence[float] = (0.0, 1.0),
                 **kwargs):
        start, end = split_range
        if not 0 <= start < end <= 1:
            raise ValueError(f'ClassFolderDataset: split_range must be '
                             f'(start, end) with 0 <= start < end <= 1, got '
                             f'{tuple(split_range)}')
        if image_size is not None and int(image_size) < 1:
            raise ValueError(f'ClassFolderDataset: image_size must be a '
                             f'positive int or None, got {image_size!r}')
        self.split = split
        self.split_range = (start, end)
        self.image_size = None if image_size is None else int(image_size)
        prefix = data_prefix or split
        folders = self._class_folders(data_root, prefix, split)
        if isinstance(classes, str):
            classes = list_from_file(classes)
        if classes is not None and len(classes) != len(folders):
            raise ValueError(
                f'ClassFolderDataset: {osp.join(data_root, prefix)!r} has '
                f'{len(folders)} class folders ({folders[:5]}...), but '
                f'dataset.classes names {len(classes)} classes. Give one '
                f'name per folder, or leave dataset.classes unset to use the '
                f'folder names; the model needs num_classes={len(folders)} '
                f'(--cfg-options num_classes={len(folders)} sets every head).')
        super().__init__(
            data_root=data_root,
            data_prefix=prefix,
            ann_file=ann_file,
            classes=tuple(classes or folders),
            **kwargs)

    @staticmethod
    def _class_folders(data_root: str, prefix: str, split: str) -> list:
        layout = LAYOUT.format(root=data_root or 'DATA_ROOT')
        if not data_root or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'ClassFolderDataset: data root {data_root!r} is not a '
                f'directory; {layout}. Set it for every stage with '
                f'--cfg-options data_root=DIR (docs/custom_dataset.md).')
        folder = osp.join(data_root, prefix)
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'ClassFolderDataset: split {split!r} reads {folder!r}, which '
                f'does not exist; {data_root!r} holds '
                f'{_subfolders(data_root)}. Add the folder, or read another '
                f'one: <loader>.dataset.split=NAME (e.g. '
                f'test_dataloader.dataset.split=val); {layout}.')
        folders = _subfolders(folder)
        if not folders:
            raise FileNotFoundError(
                f'ClassFolderDataset: {folder!r} has no class folders; '
                f'{layout}.')
        return folders

    def load_data_list(self):
        data_list = super().load_data_list()
        num_classes = len(self.CLASSES)
        for info in data_list:
            if not 0 <= info['gt_label'] < num_classes:
                raise ValueError(
                    f'ClassFolderDataset: {self.ann_file!r} labels '
                    f'{info["img_path"]!r} {info["gt_label"]}, but '
                    f'{self.img_prefix!r} has {num_classes} class folders '
                    f'(labels 0..{num_classes - 1})')
        start, end = self.split_range
        if (start, end) == (0.0, 1.0):
            return data_list
        by_class = {}
        for info in sorted(data_list, key=lambda i: i['img_path']):
            by_class.setdefault(info['gt_label'], []).append(info)
        kept = []
        for label in sorted(by_class):
            infos = by_class[label]
            kept += infos[round(start * len(infos)):round(end * len(infos))]
        return kept

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.image_size is not None:
            info['img'] = self._read_resized(info['img_path'])
        return info

    def _read_resized(self, path: str):
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise OSError(f'ClassFolderDataset: cannot read image {path!r}')
        size = self.image_size
        # area averaging to shrink, bicubic to enlarge (as the digits demo)
        shrink = img.shape[0] > size or img.shape[1] > size
        img = cv2.resize(
            img, (size, size),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
