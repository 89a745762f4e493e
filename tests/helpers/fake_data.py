"""Tiny fake datasets in the real on-disk formats, for tests."""
import os
import os.path as osp
import pickle

import cv2
import numpy as np


def make_fake_imagenet(root,
                       num_classes=3,
                       per_class=4,
                       size=40,
                       layout='folders',
                       seed=0):
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


CIFAR10_NAMES = [
    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
    'ship', 'truck'
]


def make_fake_cifar10(root, per_batch=20, test_size=20, seed=0):
    """Write CIFAR-10 in the official python-pickle format.

    ``root/cifar-10-batches-py/`` gets ``data_batch_1..5`` (``per_batch``
    images each), ``test_batch`` (``test_size``) and ``batches.meta``. Each
    batch is a dict with str keys (what ``pickle.loads(..., encoding=
    'latin1')`` gives for the official files): 'data', uint8 N x 3072, each
    row the R, G then B 32x32 planes row-major; 'labels', a list of ints.
    Each class has its own mean colour, so a model can learn something.
    """
    rng = np.random.RandomState(seed)
    colours = rng.randint(30, 226, size=(10, 3))
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)

    def write(name, n):
        labels = rng.randint(0, 10, size=n)
        hwc = colours[labels][:, None, None, :] + rng.randn(n, 32, 32, 3) * 20
        chw = np.clip(hwc, 0, 255).astype(np.uint8).transpose(0, 3, 1, 2)
        batch = {
            'batch_label': name,
            'labels': labels.tolist(),
            'data': chw.reshape(n, 3072),
            'filenames': [f'{name}_{i}.png' for i in range(n)]
        }
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(batch, f)

    for i in range(1, 6):
        write(f'data_batch_{i}', per_batch)
    write('test_batch', test_size)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump(
            {
                'label_names': CIFAR10_NAMES,
                'num_cases_per_batch': per_batch,
                'num_vis': 3072
            }, f)
    return root
