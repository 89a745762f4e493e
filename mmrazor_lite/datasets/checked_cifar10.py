"""mmpretrain's CIFAR-10 that never downloads, with clear errors and a
``split_range`` to cut the train set in two for DARTS-style searches."""
import os.path as osp
from typing import Sequence

from mmpretrain.datasets import CIFAR10
from mmpretrain.datasets.utils import check_md5

from mmrazor_lite.registry import DATASETS

HOW_TO_GET = (
    'Nothing is downloaded at run time: download {url}, then extract it '
    'under the data root (tar -xzf cifar-10-python.tar.gz -C DATA_ROOT), '
    'which gives DATA_ROOT/cifar-10-batches-py/.')


@DATASETS.register_module()
class CheckedCIFAR10(CIFAR10):
    """``mmpretrain.CIFAR10`` that checks the files instead of downloading.

    Args:
        data_root (str): folder holding ``cifar-10-batches-py/`` (the
            official python-pickle release, extracted).
        split (str): 'train' or 'test'.
        download (bool): must be False; kept only to refuse it clearly.
        verify_md5 (bool): check the files against the official md5s.
            Only tiny fake test data needs False.
        split_range (tuple[float, float]): ``(start, end)`` fractions of the
            split; keeps images ``[round(start*n), round(end*n))`` in file
            order. PC-DARTS trains the weights on ``(0, 0.5)`` of the train
            set and the architecture on ``(0.5, 1)``.
        **kwargs: passed to ``mmpretrain.CIFAR10``.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 download: bool = False,
                 verify_md5: bool = True,
                 split_range: Sequence[float] = (0.0, 1.0),
                 **kwargs):
        if download:
            raise ValueError('CheckedCIFAR10 does not accept download=True. ' +
                             HOW_TO_GET.format(url=self.url))
        start, end = split_range
        if not 0 <= start < end <= 1:
            raise ValueError(
                f'split_range must be (start, end) with 0 <= start < end <= '
                f'1, got {tuple(split_range)}')
        if not data_root:
            raise FileNotFoundError('CheckedCIFAR10 needs data_root. ' +
                                    HOW_TO_GET.format(url=self.url))
        self.verify_md5 = verify_md5
        self.split_range = (start, end)
        super().__init__(
            data_root=data_root, split=split, download=False, **kwargs)

    def _check_files(self):
        root = self.data_prefix['root']
        folder = osp.join(root, self.base_folder)
        entries = self.train_list + self.test_list + [[
            self.meta['filename'], self.meta['md5']
        ]]
        missing = [
            name for name, _ in entries
            if not osp.isfile(osp.join(folder, name))
        ]
        if missing:
            raise FileNotFoundError(
                f'CIFAR-10 data not found under data root {root!r}: '
                f'{folder!r} lacks {", ".join(missing)}. Expected '
                f'data_batch_1..5, test_batch and batches.meta there. ' +
                HOW_TO_GET.format(url=self.url))
        if not self.verify_md5:
            return
        for name, md5 in entries:
            if not check_md5(osp.join(folder, name), md5):
                raise RuntimeError(
                    f'md5 of {osp.join(folder, name)!r} differs from the '
                    f'official CIFAR-10 file ({md5}): the file is corrupt or '
                    f'not the official release. Re-extract '
                    f'cifar-10-python.tar.gz, or pass verify_md5=False for '
                    f'test data.')

    def _check_integrity(self):
        # load_data_list has already checked the files (on every rank, so a
        # failure cannot leave the other ranks waiting at the parent's
        # barrier); True also keeps the parent's download branch unreachable.
        return True

    def load_data_list(self):
        self._check_files()
        data_list = super().load_data_list()
        n = len(data_list)
        start, end = self.split_range
        return data_list[round(start * n):round(end * n)]
