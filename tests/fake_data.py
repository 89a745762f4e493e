"""Tiny fake datasets in the real on-disk formats, for tests."""
import os
import os.path as osp

import cv2
import numpy as np


def make_fake_imagenet(root, num_classes=3, per_class=4, size=40,
                       layout='folders', seed=0):
    """Write ImageNet-style JPEGs under ``root/{train,val}``.

    ``layout='folders'``: ``split/<class>/<img>.JPEG``; ``layout='ann'``:
    images in ``split/`` plus ``meta/{split}.txt`` ('<path> <label>' lines).
    Each class has its own mean colour, so a model can learn something.
    """
    rng = np.random.RandomState(seed)
    for split in ('train', 'val'):
        lines = []
        for c in range(num_classes):
            cls = f'n{c:08d}'
            for i in range(per_class):
                rel = f'{cls}/{cls}_{i}.JPEG' if layout == 'folders' \
                    else f'{cls}_{i}.JPEG'
                path = osp.join(root, split, rel)
                os.makedirs(osp.dirname(path), exist_ok=True)
                base = np.full((size, size, 3), 40 + 80 * c, np.float64)
                img = np.clip(base + rng.randn(size, size, 3) * 20, 0, 255)
                cv2.imwrite(path, img.astype(np.uint8))
                lines.append(f'{rel} {c}')
        if layout == 'ann':
            os.makedirs(osp.join(root, 'meta'), exist_ok=True)
            with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')
    return root
