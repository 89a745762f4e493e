"""``--cfg-options data_root=DIR num_classes=N``: any config on your data.

mmengine evaluates a config file once, so overriding its ``data_root``
variable changes nothing else: every dataset copied the value when the file
was read. These two keys are taken out of ``--cfg-options`` here and applied
to the config before the other keys, the same way for every stage:

- ``data_root=DIR``: the dataset of every data loader of the config (the
  top-level ``*_dataloader`` and the ``train_cfg`` loaders that name a
  dataset) becomes a :class:`ClassFolderDataset` reading ``DIR/<split>``;
  split, pipeline and image size are kept (table ``CONVERSIONS``);
- ``num_classes=N``: every integer ``num_classes`` under ``model`` and
  ``data_preprocessor`` (heads, losses, one-hot labels) becomes N, and
  top-k accuracies with k > N are dropped (mmpretrain refuses them).

Every change is logged, by the first process only (every process of a
distributed run builds the config); the other ``--cfg-options`` then apply
on top (e.g. ``test_dataloader.dataset.split=val``). See
docs/custom_dataset.md.
"""
import logging
import os
from typing import Dict, List, Mapping, Optional, Tuple

from mmengine.config import Config
from mmengine.dist import is_distributed, is_main_process
from mmengine.logging import print_log

DATA_OPTIONS = ('data_root', 'num_classes')
RUNNER_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

#: keys of mmpretrain's BaseDataset, kept by every conversion
_BASE_KEYS = ('pipeline', 'indices', 'serialize_data', 'lazy_init',
              'max_refetch', 'test_mode', 'filter_cfg')
_IMAGENET = ('split', 'data_prefix', 'ann_file')
_CIFAR = ('split', 'split_range')
#: dataset type -> (its keys kept, the image size of a dataset that yields
#: decoded images; None: it yields files for LoadImageFromFile)
CONVERSIONS: Dict[str, Tuple[Tuple[str, ...], Optional[int]]] = {
    'ImageNet': (_IMAGENET, None),
    'CheckedImageNet': (_IMAGENET, None),
    'CustomDataset': (('data_prefix', 'ann_file'), None),
    'CIFAR10': (_CIFAR, 32),
    'CheckedCIFAR10': (_CIFAR, 32),
    'SklearnDigits': (('split', 'image_size'), 32),
}
TARGET = 'ClassFolderDataset'


def config_loaders(cfg: Config) -> List[Tuple[str, dict]]:
    """``(key, loader)`` of every data loader of ``cfg`` naming a dataset:
    the Runner's three and the ``train_cfg`` loop's."""
    found = [(key, cfg[key]) for key in RUNNER_LOADERS
             if isinstance(cfg.get(key), Mapping)]
    train_cfg = cfg.get('train_cfg') or {}
    found += [(f'train_cfg.{key}', value) for key, value in train_cfg.items()
              if key.endswith('dataloader') and isinstance(value, Mapping)]
    return [(key, loader) for key, loader in found
            if isinstance(loader.get('dataset'), Mapping)
            and 'type' in loader['dataset']]


def class_folder_dataset(dataset: Mapping, data_root: str, where: str) -> dict:
    """``dataset`` (a config dict) as a ClassFolderDataset at ``data_root``."""
    kind = str(dataset['type']).split('.')[-1]  # scope-free name
    if kind == TARGET:
        return dict(dataset, data_root=data_root)
    if kind not in CONVERSIONS:
        raise ValueError(
            f'data_root={data_root}: {where} is a {dataset["type"]}, which '
            f'the data_root option cannot point at class folders (it knows '
            f'{sorted(CONVERSIONS)}); set {where} yourself: '
            f"dict(type='{TARGET}', data_root=..., split=..., pipeline=...) "
            f'(docs/custom_dataset.md)')
    kept, image_size = CONVERSIONS[kind]
    out = dict(type=TARGET, data_root=data_root)
    out.update({k: v for k, v in dataset.items() if k in kept + _BASE_KEYS})
    if image_size is not None:
        out.setdefault('image_size', image_size)
    return out


def _walk(node, path: str, visit) -> None:
    """Call ``visit(mapping, key, path)`` on every mapping entry under
    ``node``; descend where it returns False."""
    if isinstance(node, Mapping):
        for key, child in node.items():
            here = f'{path}.{key}'
            if not visit(node, key, here):
                _walk(child, here, visit)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _walk(child, f'{path}.{i}', visit)


def _set_num_classes(node, path: str, value: int, changed: list) -> None:

    def visit(mapping, key, here):
        child = mapping[key]
        if key != 'num_classes' or not isinstance(child, int) or \
                isinstance(child, bool):
            return False
        if child != value:
            changed.append(f'{here}: {child} -> {value}')
        mapping[key] = value
        return True

    _walk(node, path, visit)


def _trim_topk(node, path: str, num_classes: int, changed: list) -> None:

    def visit(mapping, key, here):
        child = mapping[key]
        if key != 'topk' or not isinstance(child, (list, tuple)):
            return False
        kept = tuple(k for k in child if k <= num_classes) or (1, )
        if kept != tuple(child):
            changed.append(f'{here}: {tuple(child)} -> {kept}')
            mapping[key] = kept
        return True

    _walk(node, path, visit)


def _model_class_counts(cfg: Config) -> List[str]:
    counts = []

    def walk(node, path):
        if isinstance(node, Mapping):
            for key, child in node.items():
                if key == 'num_classes' and isinstance(child, int):
                    counts.append(f'{path}.{key}={child}')
                else:
                    walk(child, f'{path}.{key}')

    walk(cfg.get('model'), 'model')
    return counts


def is_first_process() -> bool:
    """Whether this process is rank 0 of its run, also before the process
    group exists.

    ``tools/train.py`` builds the config before ``build_runner`` starts the
    process group, so mmengine's ``is_main_process`` is True on every rank
    then; the launcher's ``RANK`` (torchrun, ``dist_train.sh``) or, without
    it, ``SLURM_PROCID`` (srun) says which rank this is.

    Returns:
        bool: True on rank 0 and in a process that is not one of several.
    """
    if is_distributed():
        return is_main_process()
    for name in ('RANK', 'SLURM_PROCID'):
        value = os.environ.get(name, '').strip()
        if value.isdigit():
            return int(value) == 0
    return True


def _log(message: str, level: int = logging.INFO) -> None:
    """Log ``message`` (``logger='current'``) on the first process only."""
    if is_first_process():
        print_log(message, logger='current', level=level)


def _check(name: str, value) -> None:
    if name == 'data_root' and (not isinstance(value, str) or not value):
        raise ValueError(f'--cfg-options data_root={value!r}: expected the '
                         f'folder holding train/, val/ ... (a path)')
    if name == 'num_classes' and (not isinstance(value, int)
                                  or isinstance(value, bool) or value < 1):
        raise ValueError(f'--cfg-options num_classes={value!r}: expected '
                         f'the number of classes, an int >= 1')


def apply_data_options(cfg: Config,
                       cfg_options: Optional[Mapping]) -> Optional[dict]:
    """Apply ``data_root`` / ``num_classes`` of ``cfg_options`` to ``cfg``.

    Returns the other options (to check and merge as usual).
    """
    if not cfg_options:
        return cfg_options
    rest = {k: v for k, v in cfg_options.items() if k not in DATA_OPTIONS}
    given = {k: cfg_options[k] for k in DATA_OPTIONS if k in cfg_options}
    for name, value in given.items():
        _check(name, value)
    changed = []
    if 'data_root' in given:
        root = given['data_root']
        for key, loader in config_loaders(cfg):
            dataset = class_folder_dataset(loader['dataset'], root,
                                           f'{key}.dataset')
            loader['dataset'] = dataset
            folder = dataset.get('data_prefix') or dataset.get(
                'split', 'train')
            changed.append(f'{key}.dataset: {TARGET} at {root}/{folder}')
        if 'num_classes' not in given and _model_class_counts(cfg):
            _log(
                f'--cfg-options data_root={root} without num_classes: the '
                f'model keeps {", ".join(_model_class_counts(cfg))}; add '
                f'num_classes=N for a data set of N classes', logging.WARNING)
    if 'num_classes' in given:
        n = given['num_classes']
        for key in ('model', 'data_preprocessor'):
            _set_num_classes(cfg.get(key), key, n, changed)
        for key in ('model', 'val_evaluator', 'test_evaluator', 'train_cfg'):
            _trim_topk(cfg.get(key), key, n, changed)
    for name, value in given.items():
        if name in cfg:  # the file's own variable, kept consistent
            cfg[name] = value
    if changed:
        _log('--cfg-options ' + ' '.join(f'{k}={v}'
                                         for k, v in given.items()) +
             ' set:\n  ' + '\n  '.join(changed))
    return rest
