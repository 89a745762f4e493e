"""Write scikit-learn's digits as PNG files in class folders.

Usage::

    python tools/dataset_converters/digits_to_class_folders.py OUT_DIR
        [--size 32] [--per-class N]

It writes ``OUT_DIR/{train,val,test}/<digit>/<split>_<index>.png``: the
demo's 60 / 20 / 20 % split of the 1,797 digits (``SklearnDigits``),
upsampled to ``--size`` pixels, grey. This is a class-folder data set to
try the route of docs/custom_dataset.md on (``--cfg-options
data_root=OUT_DIR num_classes=10``) before pointing it at your own images.
``--per-class`` keeps at most N images of each digit per split (a tiny set
for tests).
"""
import argparse
import os
import os.path as osp
import sys

SPLITS = ('train', 'val', 'test')


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='folder to write the splits into')
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='side of the written images (default 32)')
    parser.add_argument(
        '--per-class',
        type=int,
        default=None,
        help='at most N images per digit and split')
    return parser.parse_args(argv)


def write_digit_folders(out_dir: str, size: int = 32, per_class=None) -> dict:
    """Write the train, val and test splits as class folders.

    Args:
        out_dir (str): The folder to write the splits into.
        size (int): The side of the written images, in pixels. Defaults to
            32.
        per_class (int, optional): Keep at most this many images of each
            digit per split. Defaults to None (all of them).

    Returns:
        dict: ``split -> number of images written``.

    Raises:
        ValueError: If ``size`` or ``per_class`` is below 1.
        OSError: If an image cannot be written.
    """
    import cv2

    from mmrazor_lite.datasets import SklearnDigits
    if size < 1 or (per_class is not None and per_class < 1):
        raise ValueError(f'size and per_class must be >= 1, got {size}, '
                         f'{per_class}')
    written = {}
    for split in SPLITS:
        counts = {}
        for i, info in enumerate(
                SklearnDigits(split=split, image_size=size).load_data_list()):
            label = info['gt_label']
            if per_class is not None and counts.get(label, 0) >= per_class:
                continue
            counts[label] = counts.get(label, 0) + 1
            folder = osp.join(out_dir, split, str(label))
            os.makedirs(folder, exist_ok=True)
            path = osp.join(folder, f'{split}_{i:04d}.png')
            if not cv2.imwrite(path, info['img'][:, :, 0]):
                raise OSError(f'could not write {path!r}')
        written[split] = sum(counts.values())
    return written


def main(argv=None) -> int:
    """Write the digits into the folder the command line names.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        int: 0 on success, 1 if the output folder is not empty.
    """
    args = parse_args(argv)
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
        print(
            f'error: {args.out_dir!r} is not empty; choose a new folder',
            file=sys.stderr)
        return 1
    written = write_digit_folders(args.out_dir, args.size, args.per_class)
    for split, count in written.items():
        print(f'{osp.join(args.out_dir, split)}: {count} images in 10 class '
              f'folders')
    print(f'use it: --cfg-options data_root={args.out_dir} num_classes=10 '
          f'(docs/custom_dataset.md)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
