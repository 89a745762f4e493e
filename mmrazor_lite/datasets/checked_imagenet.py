"""mmpretrain's ImageNet, with a clear error when the data is not on disk."""
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

    mmpretrain's own error for a missing root is a bare assertion or an
    empty scan; this one names the path and shows the expected layout.
    Nothing is ever downloaded.
    """

    def __init__(self, data_root: str = '', split: str = '',
                 data_prefix='', ann_file: str = '', **kwargs):
        prefix = data_prefix.get('img_path', '') if isinstance(
            data_prefix, dict) else data_prefix
        prefix = prefix or split
        layout = EXPECTED_LAYOUT.format(root=data_root, prefix=prefix,
                                        split=split or 'train')

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
        super().__init__(data_root=data_root, split=split,
                         data_prefix=data_prefix, ann_file=ann_file, **kwargs)
