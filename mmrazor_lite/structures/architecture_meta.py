"""The architecture a checkpoint was trained as, recorded in its ``meta``.

A fixed network's weights only mean something for the architecture they
were trained as: a SPOS subnet (``meta['fix_subnet']``: module path ->
choice) or a DARTS evaluation cell (``meta['genotype']``: the genotype's
dict form). :class:`~mmrazor_lite.engine.hooks.SubnetMetaHook` writes them into
every checkpoint; test, export and resume read them back and compare.
"""
from typing import Mapping, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper

from .genotype import Genotype


class ArchitectureMismatchError(ValueError):
    """A checkpoint was trained as another architecture than the model's."""


def unwrap_model(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


def model_genotype(model: nn.Module):
    """The :class:`Genotype` of a DARTS evaluation classifier, else None."""
    genotype = getattr(
        getattr(unwrap_model(model), 'backbone', None), 'genotype', None)
    return genotype if isinstance(genotype, Genotype) else None


def architecture_meta(model: nn.Module) -> dict:
    """``{'fix_subnet': ...}`` / ``{'genotype': ...}`` of ``model`` (or {})."""
    model = unwrap_model(model)
    meta = {}
    fix_subnet = getattr(model, 'fix_subnet', None)
    if fix_subnet:
        meta['fix_subnet'] = dict(fix_subnet)
    genotype = model_genotype(model)
    if genotype is not None:
        meta['genotype'] = genotype.to_dict()
    return meta


def genotype_difference(saved: Mapping, built: Mapping) -> list:
    """The genotype keys (``normal``, ``reduce_concat`` ...) that differ."""
    return [
        key for key in ('normal', 'normal_concat', 'reduce', 'reduce_concat')
        if _plain(saved.get(key)) != _plain(built.get(key))
    ]


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def check_architecture(meta: Optional[Mapping], model: nn.Module,
                       source: str) -> None:
    """Refuse to load ``source`` (its ``meta``) into another architecture.

    Raises:
        ArchitectureMismatchError: naming the checkpoint, what it was
            trained as and what the model is.
    """
    meta = meta or {}
    built = architecture_meta(model)
    if meta.get('genotype') and 'genotype' in built:
        differ = genotype_difference(meta['genotype'], built['genotype'])
        if differ:
            raise ArchitectureMismatchError(
                f'{source} was trained as another DARTS cell than the one '
                f'built (they differ in {differ}).\n'
                f'  checkpoint meta.genotype: {dict(meta["genotype"])}\n'
                f'  built (model.backbone.genotype / default_genotype): '
                f'{built["genotype"]}\n'
                f'Leave model.backbone.genotype unset to build the '
                f'checkpoint\'s cell, or set it to the genotype the '
                f'checkpoint was trained with.')
    if meta.get('fix_subnet') and 'fix_subnet' in built:
        saved, fixed = dict(meta['fix_subnet']), built['fix_subnet']
        differ = sorted(
            k for k in set(saved) | set(fixed) if saved.get(k) != fixed.get(k))
        if differ:
            shown = ', '.join(f'{k}: checkpoint {saved.get(k)!r} vs built '
                              f'{fixed.get(k)!r}' for k in differ[:8])
            more = f' (+{len(differ) - 8} more)' if len(differ) > 8 else ''
            raise ArchitectureMismatchError(
                f'{source} was trained as another subnet than the one '
                f'built: {shown}{more}. Leave model.fix_subnet unset to '
                f'build the checkpoint\'s subnet (meta.fix_subnet), or set '
                f'it to the subnet the checkpoint was trained as.')
