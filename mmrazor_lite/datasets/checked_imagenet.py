"""mmpretrain's ImageNet, with clear errors when the data is not on disk
or its class folders are not the classes it expects."""
import os
import os.path as osp

from mmpretrain.datasets import ImageNet

from mmrazor_lite.registry import DATASETS

EXPECTED_LAYOUT = """expected one of two layouts under the data root:
  class folders:  {root}/{prefix}/<class_name>/<image>.JPEG
  ann file:       {root}/{prefix}/<images...> plus {root}/<ann_file> with
                  lines '<path relative to {prefix}> <label>'
                  (default ann file: {root}/meta/{split}.txt)"""


@DATASETS.register_module()
class CheckedImageNet(ImageNet):
    """``mmpretrain.ImageNet`` that checks the data root before reading it.

    mmpretrain's own error for a missing root, or for class folders that
    are not 1000, is a bare assertion or an empty scan; these name the path,
    the expected layout or the class counts, and the keys to set.
    Nothing is ever downloaded.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = '',
                 data_prefix='',
                 ann_file: str = '',
                 **kwargs):
        prefix = data_prefix.get('img_path', '') if isinstance(
            data_prefix, dict) else data_prefix
        prefix = prefix or split
        layout = EXPECTED_LAYOUT.format(
            root=data_root, prefix=prefix, split=split or 'train')

        def fail(what):
            raise FileNotFoundError(
                f'ImageNet data not found: {what}.\n{layout}\n'
                f'Set the root with --cfg-options '
                f'train_dataloader.dataset.data_root=PATH (and '
                f'val_dataloader / test_dataloader likewise).')

        if not data_root or not osp.isdir(data_root):
            fail(f'data root {data_root!r} is not a directory')
        if not os.listdir(data_root):
            fail(f'data root {data_root!r} is empty')
        ann_path = osp.join(data_root, ann_file) if ann_file else osp.join(
            data_root, 'meta', f'{split}.txt')
        if ann_file and not osp.isfile(ann_path):
            fail(f'ann file {ann_path!r} does not exist')
        image_dir = osp.join(data_root, prefix)
        if not osp.isdir(image_dir):
            fail(f'image folder {image_dir!r} does not exist')
        if not osp.isfile(ann_path) and not any(
                osp.isdir(osp.join(image_dir, d))
                for d in os.listdir(image_dir)):
            fail(f'{image_dir!r} has no class folders and there is no ann '
                 f'file {ann_path!r}')
        if not osp.isfile(ann_path):
            self._check_class_count(data_root, image_dir, kwargs)
        super().__init__(
            data_root=data_root,
            split=split,
            data_prefix=data_prefix,
            ann_file=ann_file,
            **kwargs)

    def _check_class_count(self, data_root, image_dir, kwargs):
        """Class folders vs classes, before mmpretrain's bare assertion."""
        classes = kwargs.get('classes') or (
            kwargs.get('metainfo')
            or {}).get('classes') or self.METAINFO['classes']
        if isinstance(classes, str):
            return  # a file of names: mmpretrain reads and checks it
        found = sorted(
            d for d in os.listdir(image_dir)
            if osp.isdir(osp.join(image_dir, d)))
        if len(found) == len(classes):
            return
        n = len(found)
        raise ValueError(
            f'{image_dir!r} (data root {data_root!r}) has {n} class folders '
            f'({found[:5]}...), but {type(self).__name__} expects '
            f'{len(classes)} classes (ImageNet-1k\'s unless dataset.classes '
            f'says otherwise). Your own class-folder data set: '
            f'--cfg-options data_root={data_root} num_classes={n} points '
            f'every dataset of the config at it and sets every '
            f'model...head.num_classes (docs/custom_dataset.md). To keep '
            f'this dataset type instead, set <loader>.dataset.classes to '
            f'{n} names and model...head.num_classes={n}.')
