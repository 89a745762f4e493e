"""scikit-learn's handwritten digits as a tiny real image dataset.

1,797 8x8 grey images of 10 digits ship inside scikit-learn, so the demo
trains on real data with nothing to download. Images are upsampled (bicubic)
to ``image_size`` and repeated over 3 channels so ImageNet-shaped models and
pipelines take them unchanged.
"""
import cv2
import numpy as np
from mmpretrain.datasets import BaseDataset

from mmrazor_lite.registry import DATASETS


@DATASETS.register_module()
class SklearnDigits(BaseDataset):
    """The digits, split once into train / val / test by a fixed seed.

    Args:
        split (str): ``'train'`` (60 %), ``'val'`` (20 %) or ``'test'`` (20 %).
        image_size (int): side of the upsampled square image.
        seed (int): the seed of the split (not of training).
    """
    METAINFO = {'classes': tuple(str(i) for i in range(10))}
    SPLITS = {'train': (0.0, 0.6), 'val': (0.6, 0.8), 'test': (0.8, 1.0)}

    def __init__(self,
                 split: str = 'train',
                 image_size: int = 32,
                 seed: int = 0,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'split {split!r} is unknown; use one of '
                             f'{list(self.SPLITS)}')
        self.split = split
        self.image_size = image_size
        self.seed = seed
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self):
        from sklearn.datasets import load_digits
        digits = load_digits()
        order = np.random.RandomState(self.seed).permutation(
            len(digits.target))
        start, stop = self.SPLITS[self.split]
        picked = order[int(start * len(order)):int(stop * len(order))]
        data_list = []
        for i in picked:
            # 0..16 grey levels -> 0..255 uint8, upsampled, 3 channels
            img = (digits.images[i] * (255.0 / 16.0)).astype(np.uint8)
            img = cv2.resize(
                img, (self.image_size, self.image_size),
                interpolation=cv2.INTER_CUBIC)
            img = np.repeat(img[:, :, None], 3, axis=2)
            data_list.append(dict(img=img, gt_label=int(digits.target[i])))
        return data_list
