"""``FixedSubnet``: a supernet config built as one subnet, weights loaded.

The model of every SPOS subnet config (retrain, test, FLOPs)::

    model = dict(
        type='FixedSubnet',
        architecture=supernet,            # the supernet classifier config
        fix_subnet=None,                  # explicit subnet: wins when set
        default_subnet='{{fileDirname}}/SUBNET.yaml',
        init_cfg=dict(type='Pretrained', checkpoint=None))

Which subnet is built, first that applies:

1. ``fix_subnet`` (yaml/json path or mapping), when set;
2. the subnet ``init_cfg.checkpoint`` carries: ``meta['fix_subnet']`` (the
   search's sliced weights and every checkpoint a subnet config saves have
   it), else the one candidate per block its weights hold (a sliced
   checkpoint from elsewhere, e.g. MMRazor's, converted);
3. ``default_subnet``.

So ``--cfg-options model.init_cfg.checkpoint=SEARCH_WEIGHTS`` alone retrains
the subnet the search found, not whatever yaml the config ships. The model
is the supernet classifier with each choice replaced by its chosen op (see
:func:`fix_model`); it is returned as is (an ``ImageClassifier``), so its
checkpoints have unprefixed keys. Weights of ``init_cfg.checkpoint`` are
loaded here, strictly (:func:`load_subnet_state_dict`), and the model marked
initialised, so ``tools/test.py CONFIG none`` tests them and training starts
from them.

As another repo's backbone (``architecture`` a bare search space), the files
a search writes drop in unchanged: the subnet's ``backbone.`` keys lose their
prefix, and ``init_cfg=dict(type='Pretrained', checkpoint=...,
prefix='backbone.')`` takes the ``backbone.`` part of the checkpoint (a
search's sliced weights or a retrained subnet's) and loads it strictly.
"""
import logging
from collections import OrderedDict
from typing import Mapping, Optional, Tuple, Union

from mmengine.logging import print_log

from mmrazor_lite.fileio.checkpoint_io import (CheckpointError,
                                               load_state_dict_and_meta)
from mmrazor_lite.registry import MODELS, build_model
from mmrazor_lite.structures.architecture_meta import check_architecture
from mmrazor_lite.structures.subnet_file import SubnetFileError
from .fix_model import (BACKBONE_PREFIX, complete_with_weightless, fix_model,
                        is_bare_backbone, strip_backbone_prefix)
from .subnet_weights import (load_subnet_state_dict, subnet_of_state_dict,
                             unwrap_state_dict)


def _label(key: str, spec) -> str:
    return f'{key} ({spec})' if isinstance(spec, str) else key


def _checkpoint_of(init_cfg: Optional[dict]) -> Tuple[Optional[str], str]:
    """``(checkpoint or None, prefix or '')`` of a Pretrained init_cfg."""
    if not init_cfg:
        return None, ''
    init_cfg = dict(init_cfg)
    kind = init_cfg.pop('type', 'Pretrained')
    checkpoint = init_cfg.pop('checkpoint', None)
    prefix = init_cfg.pop('prefix', None) or ''
    init_cfg.pop('map_location', None)
    if kind != 'Pretrained' or init_cfg or not isinstance(prefix, str):
        raise ValueError(
            f'FixedSubnet: model.init_cfg must be dict(type="Pretrained", '
            f'checkpoint=PATH or None, prefix=\'backbone.\' optionally); got '
            f'type {kind!r}, prefix {prefix!r}, extra keys {sorted(init_cfg)}')
    if prefix and not prefix.endswith('.'):
        prefix += '.'  # as mmengine's Pretrained reads it
    return checkpoint or None, prefix


def _part_under(state_dict, prefix: str, checkpoint: str):
    """The ``prefix`` part of a checkpoint, its keys without the prefix.

    ``module.`` / ``architecture.`` come off first, so a search's weights
    (``architecture.backbone.layers...``) and a retrained subnet's
    (``backbone.layers...``) give the same backbone keys.
    """
    whole = unwrap_state_dict(state_dict)
    for keys in (whole, state_dict):  # or the prefix names the wrapper too
        part = OrderedDict((k[len(prefix):], v) for k, v in keys.items()
                           if k.startswith(prefix))
        if part:
            return part
    roots = sorted({k.split('.')[0] + '.' for k in whole})
    raise CheckpointError(
        f'{checkpoint}: no weights under init_cfg prefix {prefix!r} (its '
        f'keys start with {roots[:8]}); set prefix to one of these, or '
        f'leave it unset to load the whole checkpoint')


def _backbone_hint(err: CheckpointError, state_dict, checkpoint: str):
    """A bare backbone given a whole classifier's weights: name the fix."""
    keys = unwrap_state_dict(state_dict)
    if any(k.startswith(BACKBONE_PREFIX) for k in keys):
        return CheckpointError(
            f'{err}\nThe architecture is a bare backbone and {checkpoint} '
            f'holds a classifier: add prefix=\'backbone.\' to model.init_cfg '
            f'to load its backbone part.')
    return err


@MODELS.register_module()
def FixedSubnet(architecture: dict,
                fix_subnet: Union[str, Mapping, None] = None,
                default_subnet: Optional[str] = None,
                init_cfg: Optional[dict] = None,
                data_preprocessor: Optional[dict] = None):
    """Build ``architecture`` fixed to a subnet (see the module docstring).

    Returns:
        the fixed classifier (or backbone), with ``fix_subnet`` (module path
        -> name) and ``subnet_source`` attributes.
    """
    checkpoint, prefix = _checkpoint_of(init_cfg)
    state_dict, meta = (None, {}) if checkpoint is None else \
        load_state_dict_and_meta(checkpoint)
    if state_dict is not None and prefix:
        state_dict = _part_under(state_dict, prefix, checkpoint)

    cfg = dict(architecture)
    if data_preprocessor is not None:
        cfg.setdefault('data_preprocessor', dict(data_preprocessor))
    model = build_model(cfg)

    implied = None if state_dict is None else subnet_of_state_dict(state_dict)
    if implied:
        implied = complete_with_weightless(model, implied)
    if fix_subnet is not None:
        spec, source = fix_subnet, _label('model.fix_subnet', fix_subnet)
    elif meta.get('fix_subnet'):
        spec, source = meta['fix_subnet'], f'{checkpoint} (meta.fix_subnet)'
    elif implied:
        spec = implied
        source = f'{checkpoint} (the candidates its weights hold)'
    elif default_subnet is not None:
        spec = default_subnet
        source = _label('model.default_subnet', default_subnet)
        if checkpoint is not None:
            print_log(
                f'FixedSubnet: {checkpoint} names no subnet (no '
                f'meta.fix_subnet; it holds several candidates per block), '
                f'so the default subnet is built and its candidates\' '
                f'weights taken from it: {default_subnet}',
                logger='current',
                level=logging.WARNING)
    else:
        raise SubnetFileError(
            'FixedSubnet: no subnet to build. Set model.fix_subnet=YAML, or '
            'model.init_cfg.checkpoint to a search result '
            '(best_subnet_weights.pth) or a subnet checkpoint')

    fixed = fix_model(model, spec, source=source)
    print_log(f'FixedSubnet: subnet from {source}', logger='current')
    model.fix_subnet = OrderedDict(fixed)
    model.subnet_source = source
    if state_dict is not None:
        # an explicit model.fix_subnet may not relabel a checkpoint
        # trained as another subnet (same shapes would load silently)
        if fix_subnet is not None:
            if meta.get('fix_subnet'):  # a classifier's keys, maybe
                meta = dict(
                    meta,
                    fix_subnet=strip_backbone_prefix(meta['fix_subnet'],
                                                     list(fixed), checkpoint))
            check_architecture(meta, model, checkpoint)
        try:
            load_subnet_state_dict(model, state_dict, fixed, source=checkpoint)
        except CheckpointError as err:
            if prefix or not is_bare_backbone(fixed):
                raise
            raise _backbone_hint(err, state_dict, checkpoint) from err
        # the weights are in: init_weights() must not overwrite them
        model._is_init = True
    return model
