"""Read MMRazor 0.x subnet files into our module-path keys.

MMRazor 0.x named SPOS decisions by position, not module path::

    stage_0_block_0:
      chosen: [shuffle_7x7]

Stages and blocks count from 0. In our spaces that block is
``backbone.layers.0.0`` (ShuffleNetV2) or ``backbone.layer1.0`` (MobileNet,
whose stages are ``layer1`` .. ``layer7``). Which one applies is decided by
the keys the prepared mutator offers, so a file never lands in the wrong
space silently.
"""
import re
from collections import OrderedDict
from typing import Iterable, Mapping, Union

from .subnet_file import SubnetFileError, chosen_name, read_subnet_data

_LEGACY_KEY = re.compile(r'stage_(\d+)_block_(\d+)')


def is_mmrazor_legacy_subnet(data: Mapping) -> bool:
    """Whether every key of ``data`` is an MMRazor 0.x ``stage_I_block_J``."""
    return bool(data) and all(_LEGACY_KEY.fullmatch(str(k)) for k in data)


def _candidates(stage: int, block: int):
    """Our keys a legacy ``stage_{stage}_block_{block}`` may stand for."""
    return (
        f'backbone.layers.{stage}.{block}',  # SearchableShuffleNetV2
        f'backbone.layer{stage + 1}.{block}')  # SearchableMobileNetProxyless


def convert_mmrazor_legacy_subnet(
        data: Mapping,
        valid_keys: Iterable[str],
        source: str = 'subnet') -> 'OrderedDict[str, str]':
    """``stage_i_block_j -> {chosen: [NAME]}`` -> ``our key -> NAME``.

    Args:
        data: the parsed MMRazor 0.x subnet mapping.
        valid_keys: decision keys of a prepared mutator
            (``list(mutator.choices)``).
        source: names the input in error messages.

    Raises:
        SubnetFileError: entries that map to no valid key, or valid keys left
            without a choice; the message lists both sides.
    """
    valid = list(valid_keys)
    valid_set = set(valid)
    if not isinstance(data, Mapping) or not data:
        raise SubnetFileError(
            f'{source}: expected a mapping "stage_I_block_J: {{chosen: '
            f'[NAME]}}", got {type(data).__name__}')
    out: 'OrderedDict[str, str]' = OrderedDict()
    unmapped = []
    for key, value in data.items():
        match = _LEGACY_KEY.fullmatch(str(key))
        target = None
        if match:
            stage, block = int(match.group(1)), int(match.group(2))
            hits = [k for k in _candidates(stage, block) if k in valid_set]
            target = hits[0] if len(hits) == 1 else None
        if target is None:
            unmapped.append(key)
            continue
        out[target] = chosen_name(source, key, value)
    missing = [k for k in valid if k not in out]
    if unmapped or missing:
        raise SubnetFileError(
            f'{source}: cannot map MMRazor 0.x entries {unmapped} (expected '
            f'"stage_I_block_J" naming one of the valid keys) and no choice '
            f'for {missing}. Valid keys: {valid}')
    return out


def load_mmrazor_legacy_subnet(
        path_or_data: Union[str, Mapping],
        valid_keys: Iterable[str]) -> 'OrderedDict[str, str]':
    """Read an MMRazor 0.x subnet yaml (or its parsed mapping)."""
    if isinstance(path_or_data, Mapping):
        return convert_mmrazor_legacy_subnet(path_or_data, valid_keys)
    path = str(path_or_data)
    # strict: UTF-8, no key twice (the same reader as our own subnet files)
    data = read_subnet_data(path)
    return convert_mmrazor_legacy_subnet(data, valid_keys, source=path)
