"""Load supernet-shaped or subnet-shaped weights into a fixed subnet, strictly.

Three kinds of state dict reach a fixed subnet (see :mod:`.fix_model`):

- the search's sliced weights: the SPOS algorithm's keys
  (``architecture.backbone.layers.0.0`` + ``_candidates.shuffle_7x7...``)
  for the chosen candidate of every block only;
- a whole supernet (every candidate): the chosen ones are taken;
- a retrained subnet (``backbone.layers.0.0.branch2...``, no prefix), or an
  MMRazor 1.x one (``_candidates.NAME`` kept) after its converter.

Prefixes ``module.`` (DDP) and ``architecture.`` (the algorithm) are taken
off; algorithm-only state (``path_seed``, ``mutator.*``) is dropped. Then
every key of the model must be found with its shape, and nothing may be
left over: a mismatch is an error naming the blocks and what the checkpoint
holds for them, never a silent partial load.
"""
from collections import OrderedDict, defaultdict
from typing import Dict, Iterable, Mapping, Optional

import torch
import torch.nn as nn

from mmrazor_lite.fileio.checkpoint_io import CheckpointError
from mmrazor_lite.mutables.one_shot_choice import split_candidate_key

ALGORITHM_PREFIX = 'architecture.'
#: state outside the classifier that a subnet has no home for
_NON_MODEL_ROOTS = ('data_preprocessor.', 'mutator.')


def sliced_state_dict(
        model: nn.Module,
        mutables: Iterable[nn.Module]) -> 'OrderedDict[str, torch.Tensor]':
    """``model``'s state dict without the unchosen candidates' weights.

    Args:
        model: the module whose keys are kept (e.g. the SPOS algorithm).
        mutables: its one-shot choices; each keeps its current choice.
    """
    names = {id(m): n for n, m in model.named_modules()}
    dropped = []
    for mutable in mutables:
        for other in mutable.choices:
            if other != mutable.current_choice:
                dropped.append(f'{names[id(mutable)]}.'
                               f'{mutable.candidate_key_prefix(other)}')
    dropped = tuple(dropped)
    return OrderedDict((key, value.detach().cpu().clone())
                       for key, value in model.state_dict().items()
                       if not key.startswith(dropped))


def unwrap_state_dict(
    state_dict: Mapping[str,
                        torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Strip ``module.`` / ``architecture.``; drop algorithm-only state."""
    out = OrderedDict()
    keys = [
        k[len('module.'):] if k.startswith('module.') else k
        for k in state_dict
    ]
    wrapped = any(k.startswith(ALGORITHM_PREFIX) for k in keys)
    for key, value in zip(keys, state_dict.values()):
        if wrapped:
            if not key.startswith(ALGORITHM_PREFIX):
                continue  # e.g. SPOS's path_seed / path_step buffers
            key = key[len(ALGORITHM_PREFIX):]
        if key.startswith(_NON_MODEL_ROOTS):
            continue
        out[key] = value
    return out


def candidates_in_state_dict(
        state_dict: Mapping[str, torch.Tensor]) -> Dict[str, list]:
    """``module path -> [candidate names with weights]`` (supernet keys)."""
    found: Dict[str, list] = OrderedDict()
    for key in state_dict:
        parts = split_candidate_key(key)
        if parts:
            names = found.setdefault(parts[0], [])
            if parts[1] not in names:
                names.append(parts[1])
    return found


def subnet_of_state_dict(
    state_dict: Mapping[str,
                        torch.Tensor]) -> Optional['OrderedDict[str, str]']:
    """The subnet a sliced state dict holds (one candidate per block), or None.

    None for a whole supernet (several candidates in a block) and for a
    subnet whose ops are plain modules (nothing tells the choice).
    """
    found = candidates_in_state_dict(unwrap_state_dict(state_dict))
    if not found or any(len(names) != 1 for names in found.values()):
        return None
    return OrderedDict((path, names[0]) for path, names in found.items())


def load_subnet_state_dict(model: nn.Module,
                           state_dict: Mapping[str, torch.Tensor],
                           fix_subnet: Mapping[str, str],
                           source: str = 'checkpoint') -> None:
    """Load ``state_dict`` into the fixed ``model`` strictly (see module doc).

    Raises:
        CheckpointError: a block's weights are missing or do not fit the
            chosen op, or keys are left over; the message names ``source``,
            the blocks, the subnet's choices and the checkpoint's candidates.
    """
    state_dict = unwrap_state_dict(state_dict)
    held = candidates_in_state_dict(state_dict)
    mapped = OrderedDict()
    for key, value in state_dict.items():
        parts = split_candidate_key(key)
        if parts and parts[0] in fix_subnet:
            path, name, rest = parts
            if name != fix_subnet[path]:
                continue  # another candidate of a whole supernet
            key = f'{path}.{rest}'
        mapped[key] = value

    expected = model.state_dict()
    missing = [k for k in expected if k not in mapped]
    unexpected = [k for k in mapped if k not in expected]
    wrong_shape = [
        k for k in expected
        if k in mapped and tuple(mapped[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or wrong_shape:
        raise CheckpointError(
            _mismatch_message(source, fix_subnet, held, missing, unexpected,
                              wrong_shape))
    model.load_state_dict(mapped, strict=True)


def _block_of(key: str, fix_subnet: Mapping[str, str]) -> Optional[str]:
    for path in fix_subnet:
        if key.startswith(path + '.'):
            return path
    return None


def _mismatch_message(source, fix_subnet, held, missing, unexpected,
                      wrong_shape) -> str:
    by_block = defaultdict(list)
    other = []
    for kind, keys in (('missing', missing), ('unexpected', unexpected),
                       ('shape', wrong_shape)):
        for key in keys:
            block = _block_of(key, fix_subnet)
            if block is None:
                other.append(f'{kind}: {key}')
            else:
                by_block[block].append(kind)
    lines = [f'{source}: its weights do not fit the subnet being built.']
    for block in by_block:
        holds = held.get(block)
        holds = f'candidate(s) {holds}' if holds else 'plain-op weights'
        lines.append(f'  {block}: the subnet chooses '
                     f'{fix_subnet[block]!r}, the checkpoint holds {holds} '
                     f'({", ".join(sorted(set(by_block[block])))} keys)')
    lines += [f'  {item}' for item in other[:20]]
    if len(other) > 20:
        lines.append(f'  ... and {len(other) - 20} more')
    lines.append(
        'Use the subnet these weights were trained for (a search result '
        'carries it in meta.fix_subnet), or leave model.fix_subnet unset so '
        'it is taken from the checkpoint.')
    return '\n'.join(lines)
