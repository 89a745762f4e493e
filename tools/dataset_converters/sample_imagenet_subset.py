"""Seeded per-class ImageNet train subsets for the PC-DARTS ImageNet search.

PC-DARTS searches on ImageNet with 10% of the images of every class to train
the weights and a disjoint 2.5% to train the architecture, both taken from
the TRAIN split (the val split stays untouched for evaluation). This script
lists such subsets as ann files; images are never opened or copied.

Input: ``DATA_ROOT/train`` as class folders (``<wnid>/<img>.JPEG``; classes
sorted by folder name are labels 0..N-1, as mmpretrain's ImageNet scans them)
or ``DATA_ROOT/meta/train.txt`` (``'<path relative to train/> <label>'``
lines; used when it exists, or pass ``--ann-file``).

Per class, the images (sorted by path) are shuffled by numpy's legacy
``RandomState([seed, label])`` -- its streams are frozen across numpy
versions, and seeding by class makes each class's choice independent of the
others -- and cut into consecutive, disjoint slices of ``round(f * n)``
images (at least 1 per list).

Output per list: ``OUT_DIR/<name>.txt`` (sorted ``'<path> <label>'`` lines,
what mmpretrain's ImageNet reads with ``data_prefix='train'``) and
``OUT_DIR/<name>.sha256`` (``sha256sum`` format), plus a printed summary
with the sha256 and the ``--cfg-options`` that select the lists.

Usage::

    python tools/dataset_converters/sample_imagenet_subset.py DATA_ROOT \
        [--out-dir DATA_ROOT/meta] [--fractions 0.1 0.025] \
        [--names train_10pct train_2.5pct] [--seed 0] \
        [--ann-file meta/train.txt]
"""
import argparse
import hashlib
import os.path as osp
import re
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

Sample = Tuple[str, int]

#: where a PC-DARTS search config reads the two lists: weights, then the
#: architecture (``DartsTrainLoop``'s ``arch_dataloader``)
SEARCH_LOADERS = ('train_dataloader', 'train_cfg.arch_dataloader')


class SubsetError(ValueError):
    """The input or the arguments cannot give the requested subsets."""


def _read_ann_file(path: str) -> List[Sample]:
    """The ``(path, label)`` lines of an ann file, parsed as mmpretrain."""
    samples = []
    with open(path, encoding='utf-8') as f:
        for num, line in enumerate(f, 1):
            if not line.strip():
                continue
            # parsed exactly as mmpretrain does: strip, then split off the
            # last space-separated field (paths may contain spaces)
            parts = line.strip().rsplit(' ', 1)
            if len(parts) != 2 or not parts[0] or not re.fullmatch(
                    r'[0-9]+', parts[1]):
                raise SubsetError(
                    f'{path}:{num}: malformed line {line.rstrip()!r}; '
                    f"expected '<path relative to train/> <label>' with a "
                    f'non-negative integer label')
            samples.append((parts[0], int(parts[1])))
    return samples


def _scan_class_folders(train_dir: str) -> List[Sample]:
    """The ``(path, label)`` of the class folders, as mmpretrain scans."""
    # mmpretrain's own scan, so labels match what CheckedImageNet assigns
    from mmpretrain.datasets import ImageNet
    from mmpretrain.datasets.custom import find_folders, get_samples
    folders, folder_to_idx = find_folders(train_dir)
    if not folders:
        raise SubsetError(
            f'{train_dir} has no class folders (expected '
            f'{train_dir}/<class>/<image>.JPEG) and there is no ann file')
    samples, empty = get_samples(
        train_dir, folder_to_idx,
        lambda name: name.lower().endswith(ImageNet.IMG_EXTENSIONS))
    if empty:
        raise SubsetError(
            f'class folders without images under {train_dir}: '
            f'{", ".join(sorted(empty))} (expected image files with one of '
            f'the extensions {", ".join(ImageNet.IMG_EXTENSIONS)})')
    return [(path.replace(osp.sep, '/'), label) for path, label in samples]


def list_train_images(data_root: str,
                      ann_file: Optional[str] = None) -> List[Sample]:
    """List all the images of the train split with their labels.

    Args:
        data_root (str): The ImageNet root holding ``train/``.
        ann_file (str, optional): The train ann file, relative to
            ``data_root`` or absolute; it must exist when given. Defaults
            to None (``meta/train.txt`` if it exists, else the class
            folders are scanned).

    Returns:
        List[Sample]: ``(path relative to train/, label)`` of every image.

    Raises:
        SubsetError: If ``train/`` or the given ann file does not exist,
            an ann line is malformed, no image is listed, an image is
            listed twice or has a line break in its name.
    """
    train_dir = osp.join(data_root, 'train')
    if not osp.isdir(train_dir):
        raise SubsetError(
            f'ImageNet train folder {train_dir} does not exist; expected '
            f'{train_dir}/<class>/<image>.JPEG or images under {train_dir} '
            f'plus {osp.join(data_root, "meta", "train.txt")}')
    if ann_file is not None:
        ann_path = osp.join(data_root, ann_file)
        if not osp.isfile(ann_path):
            raise SubsetError(f'ann file {ann_path} does not exist')
    else:
        ann_path = osp.join(data_root, 'meta', 'train.txt')
    if osp.isfile(ann_path):
        samples = _read_ann_file(ann_path)
        source = ann_path
    else:
        samples = _scan_class_folders(train_dir)
        source = train_dir
    if not samples:
        raise SubsetError(f'no train images listed in {source}')
    seen = set()
    for path, _ in samples:
        # a repeated image could land in two "disjoint" lists; a line break
        # in a name would break the one-sample-per-line ann format
        if path in seen:
            raise SubsetError(f'image {path!r} is listed twice in {source}')
        if '\n' in path or '\r' in path:
            raise SubsetError(f'image name {path!r} in {source} has a line '
                              f'break and cannot be written to an ann file')
        seen.add(path)
    return samples


def check_fractions(fractions: Sequence[float]) -> None:
    """Check that the fractions can give disjoint lists.

    Args:
        fractions (Sequence[float]): The per-class fraction of each list.

    Raises:
        SubsetError: If there is no fraction, one is not in ``(0, 1)`` or
            they sum to more than 1.
    """
    if not fractions:
        raise SubsetError('give at least one fraction')
    for f in fractions:
        if not 0 < f < 1:
            raise SubsetError(f'fraction {f} is not in (0, 1)')
    if sum(fractions) > 1 + 1e-9:  # tolerance: 0.1 + 0.2 + 0.7 > 1 in floats
        raise SubsetError(
            f'fractions {list(fractions)} sum to {sum(fractions):g} > 1; the '
            f'lists are disjoint, so they cannot take more than every image')


def sample_subsets(data_root: str,
                   fractions: Sequence[float],
                   seed: int = 0,
                   ann_file: Optional[str] = None) -> List[List[Sample]]:
    """Draw disjoint per-class random subsets of the train split.

    Class ``c`` with ``n`` images gives ``round(f * n)`` images to each
    list, at least 1; when rounding would overrun ``n``, the later lists
    are cut so that each still gets 1.

    Args:
        data_root (str): The ImageNet root holding ``train/``.
        fractions (Sequence[float]): The per-class fraction of each list.
        seed (int): The seed of the per-class shuffles, in
            ``[0, 2**32)``. Defaults to 0.
        ann_file (str, optional): The train ann file, see
            :func:`list_train_images`. Defaults to None.

    Returns:
        List[List[Sample]]: One list of ``(path relative to train/,
        label)`` per fraction, sorted by path.

    Raises:
        SubsetError: If the fractions or the seed are invalid, the train
            split cannot be listed, or a class has fewer images than
            lists (naming it).
    """
    check_fractions(fractions)
    if not 0 <= seed < 2**32:
        raise SubsetError(f'seed {seed} is not in [0, 2**32)')
    by_class = {}
    for path, label in list_train_images(data_root, ann_file):
        by_class.setdefault(label, []).append(path)
    subsets = [[] for _ in fractions]
    for label, paths in sorted(by_class.items()):
        n = len(paths)
        if n < len(fractions):
            raise SubsetError(
                f'class {label} (first image {min(paths)!r}) has {n} '
                f'image(s), fewer than the {len(fractions)} lists that each '
                f'need one')
        # sorted first, so the order the files were listed in does not matter
        paths = sorted(paths)
        order = np.random.RandomState([seed, label]).permutation(n)
        start = 0
        for i, f in enumerate(fractions):
            later = len(fractions) - i - 1
            count = min(max(1, round(f * n)), n - start - later)
            subsets[i] += [(paths[j], label)
                           for j in order[start:start + count]]
            start += count
    return [sorted(s) for s in subsets]


def ann_text(samples: Sequence[Sample]) -> str:
    """Format samples as the text of an ann file.

    Args:
        samples (Sequence[Sample]): The ``(path, label)`` of the images.

    Returns:
        str: One ``'<path> <label>'`` line per sample.
    """
    return ''.join(f'{path} {label}\n' for path, label in samples)


def default_name(fraction: float) -> str:
    """Name the list of a fraction, e.g. ``train_10pct`` for 0.1.

    Args:
        fraction (float): The per-class fraction of the list.

    Returns:
        str: ``train_<100 * fraction>pct``.
    """
    return f'train_{100 * fraction:g}pct'


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Write seeded, disjoint per-class subsets of the '
        'ImageNet train split as ann files (PC-DARTS ImageNet search).')
    parser.add_argument('data_root', help='ImageNet root holding train/')
    parser.add_argument('--out-dir', help='default: DATA_ROOT/meta')
    parser.add_argument(
        '--fractions',
        type=float,
        nargs='+',
        default=[0.1, 0.025],
        help='per-class fraction of each list (default: '
        '0.1 for the weights, 0.025 for the architecture)')
    parser.add_argument(
        '--names',
        nargs='+',
        help='file names without .txt (default: '
        'train_<100*fraction>pct, e.g. train_10pct)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--ann-file',
        help='train ann file, relative to DATA_ROOT or '
        'absolute (default: meta/train.txt if it exists, '
        'else the class folders are scanned)')
    return parser.parse_args(argv)


def _output_paths(data_root, out_dir, names, fractions, ann_file):
    """The ``.txt`` path of each list, refusing names that clash."""
    if len(names) != len(fractions):
        raise SubsetError(f'{len(names)} names {names} for {len(fractions)} '
                          f'fractions {fractions}; give one name per fraction')
    if len(set(names)) != len(names):
        raise SubsetError(f'names {names} are not unique')
    bad = [
        n for n in names
        if not n or '/' in n or osp.sep in n or n.startswith('.')
    ]
    if bad:
        raise SubsetError(f'names {bad} are not plain file names')
    paths = [osp.join(out_dir, f'{n}.txt') for n in names]
    # meta/{train,val,test}.txt are what ImageNet(split=...) reads by
    # default: overwriting one would silently shrink every later training
    reserved = {
        osp.realpath(osp.join(data_root, 'meta', f'{s}.txt'))
        for s in ('train', 'val', 'test')
    }
    if ann_file:
        reserved.add(osp.realpath(osp.join(data_root, ann_file)))
    for path in paths:
        if osp.realpath(path) in reserved:
            raise SubsetError(
                f'refusing to write {path}: it is the input or a default '
                f'split ann file that ImageNet reads; choose another name')
    return paths


def _cfg_path(path: str, data_root: str) -> str:
    """``path`` as a config's ``ann_file``, relative to ``data_root``
    when inside it."""
    # mmengine joins a relative ann_file onto data_root
    rel = osp.relpath(osp.abspath(path), osp.abspath(data_root))
    return path if rel.startswith('..') else rel.replace(osp.sep, '/')


def main(argv=None) -> int:
    """Write the subsets the command line asks for and print a summary.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        int: 0 on success, 1 after printing the error to stderr.
    """
    args = parse_args(argv)
    data_root = args.data_root
    out_dir = args.out_dir or osp.join(data_root, 'meta')
    names = args.names or [default_name(f) for f in args.fractions]
    try:
        paths = _output_paths(data_root, out_dir, names, args.fractions,
                              args.ann_file)
        subsets = sample_subsets(data_root, args.fractions, args.seed,
                                 args.ann_file)
    except SubsetError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1

    from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
    cfg_files = []
    for name, path, samples in zip(names, paths, subsets):
        text = ann_text(samples)
        digest = hashlib.sha256(text.encode('utf-8')).hexdigest()
        atomic_write_text(text, path)
        # sha256sum format, so `sha256sum -c NAME.sha256` in OUT_DIR checks it
        atomic_write_text(f'{digest}  {name}.txt\n',
                          osp.join(out_dir, f'{name}.sha256'))
        num_classes = len({label for _, label in samples})
        print(f'{name}: {path}  images={len(samples)}  '
              f'classes={num_classes}  sha256={digest}')
        cfg_files.append(_cfg_path(path, data_root))

    print(f"\nDataset settings (type='CheckedImageNet' or 'ImageNet', "
          f"data_root={data_root!r}, split='train'):")
    for name, cfg_file in zip(names, cfg_files):
        print(f"  {name}: ann_file={cfg_file!r} data_prefix='train'")
    if len(cfg_files) == len(SEARCH_LOADERS):
        opts = ' '.join(f'{loader}.dataset.{key}={value}'
                        for loader, cfg_file in zip(SEARCH_LOADERS, cfg_files)
                        for key, value in (('data_root',
                                            data_root), ('ann_file', cfg_file),
                                           ('data_prefix', 'train')))
        print(f'PC-DARTS search (weights on {names[0]}, architecture on '
              f'{names[1]}):\n  --cfg-options {opts}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
