"""Fix a one-shot supernet to one subnet: the one way every tool does it.

:func:`fix_model` reads a subnet in any accepted form (our yaml/json, a
mapping, MMRazor 0.x ``stage_I_block_J``), validates it against the model's
mutator and fixes the model in place. By default no :class:`OneShotChoice`
is left: the chosen op sits at the mutable's module path as a plain module
(``backbone.layers.0.0`` *is* a ``ShuffleBlock``), so the model's weights
read ``backbone.layers.0.0.branch2.0.conv.weight``. ``keep_candidate_keys``
keeps MMRazor's layout instead (the chosen op stays under the candidate
prefix, the others are dropped); FLOPs and params are the same either way.

Keys are the model's module paths. A bare backbone (a search space used as
someone else's backbone) also takes the files a classifier's search writes:
their ``backbone.`` prefix is taken off.
"""
from collections import OrderedDict
from typing import Mapping, Union

import torch.nn as nn

from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
from mmrazor_lite.mutators.one_shot_mutator import OneShotMutator
from mmrazor_lite.structures.mmrazor_legacy import (
    convert_mmrazor_legacy_subnet, is_mmrazor_legacy_subnet)
from mmrazor_lite.structures.subnet_file import (SubnetFileError,
                                                 parse_subnet_data,
                                                 read_subnet_data)

#: the classifier's name of its backbone: keys of our subnet files start so
BACKBONE_PREFIX = 'backbone.'


def is_bare_backbone(paths) -> bool:
    """Do a model's mutable ``paths`` say: a backbone, not a classifier?"""
    return not any(p.startswith(BACKBONE_PREFIX) for p in paths)


def strip_backbone_prefix(choices: Mapping[str, str],
                          paths,
                          source: str = 'subnet') -> 'OrderedDict[str, str]':
    """``choices`` keyed for the model whose mutable ``paths`` are given.

    A classifier's subnet (``backbone.layers.0.0``) on a bare backbone
    (``layers.0.0``) loses the prefix; otherwise ``choices`` is unchanged.

    Raises:
        SubnetFileError: keys of both forms at once.
    """
    out = OrderedDict(choices)
    if not is_bare_backbone(paths):
        return out
    prefixed = [k for k in out if k.startswith(BACKBONE_PREFIX)]
    if not prefixed:
        return out
    if len(prefixed) != len(out):
        plain = [k for k in out if not k.startswith(BACKBONE_PREFIX)]
        raise SubnetFileError(
            f'{source}: keys mix a classifier\'s module paths ({prefixed[0]}) '
            f'and a backbone\'s ({plain[0]}); use one form for all keys')
    return OrderedDict((k[len(BACKBONE_PREFIX):], v) for k, v in out.items())


def _key_forms(paths) -> str:
    if is_bare_backbone(paths):
        return ('Keys are module paths of the backbone built (layers.0.0), '
                'or of a classifier around it (backbone.layers.0.0).')
    return ('Keys are module paths of the classifier built '
            '(backbone.layers.0.0).')


def _prepared_mutator(model: nn.Module):
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    return mutator


def read_subnet_spec(spec: Union[str, Mapping],
                     valid_keys,
                     source: str = 'subnet') -> 'OrderedDict[str, str]':
    """A subnet (file path or mapping) as ``module path -> choice name``.

    Accepts our form (``path: {chosen: NAME}`` or ``path: NAME``) and the
    MMRazor 0.x form (``stage_I_block_J: {chosen: [NAME]}``), told apart by
    the keys. Keys are not checked against the model here (see
    :func:`fix_model`), except that MMRazor 0.x keys are mapped onto
    ``valid_keys``.
    """
    from_file = isinstance(spec, str)
    if from_file:
        spec, source = read_subnet_data(spec), spec
    elif not isinstance(spec, Mapping) or not spec:
        raise SubnetFileError(
            f'{source}: a subnet must be a yaml/json path or a non-empty '
            f'mapping "module.path: {{chosen: NAME}}", got {spec!r}')
    if is_mmrazor_legacy_subnet(spec):
        return convert_mmrazor_legacy_subnet(spec, valid_keys, source=source)
    return parse_subnet_data(spec, source, plain_names=not from_file)


def describe_choices(choices: Mapping[str, list]) -> str:
    """``key -> names`` briefly: keys offering the same names are grouped."""
    groups: 'OrderedDict[tuple, list]' = OrderedDict()
    for key, names in choices.items():
        groups.setdefault(tuple(names), []).append(key)
    parts = []
    for names, keys in groups.items():
        where = keys[0] if len(keys) == 1 else \
            f'{len(keys)} keys {keys[0]} .. {keys[-1]}'
        parts.append(f'{where}: {list(names)}')
    return '; '.join(parts) + f' (all keys: {list(choices)})'


def complete_with_weightless(
        model: nn.Module, choices: Mapping[str,
                                           str]) -> 'OrderedDict[str, str]':
    """Fill blocks that ``choices`` (read off weights) lacks.

    A block whose chosen op has no weights (a true identity) leaves no key
    in a state dict; when exactly one of its candidates is weightless, that
    is the choice.
    """
    out = OrderedDict(choices)
    for path, module in model.named_modules():
        if path in out or not isinstance(module, OneShotChoice):
            continue
        empty = [
            name for name in module.choices
            if not module.candidate(name).state_dict()
        ]
        if len(empty) == 1:
            out[path] = empty[0]
    return out


def check_subnet(model: nn.Module,
                 spec: Union[str, Mapping],
                 source: str = 'subnet') -> 'OrderedDict[str, str]':
    """Validate ``spec`` against the choices of supernet ``model``.

    Returns ``module path -> name`` for every mutable of ``model`` (shared
    decisions expanded to each of their modules).

    Raises:
        SubnetFileError: unknown keys, missing keys or unknown choice names,
            with ``source`` and what would be valid.
    """
    mutator = _prepared_mutator(model)
    paths, valid = mutator.mutable_paths, list(mutator.choices)
    if is_bare_backbone(paths):  # MMRazor 0.x keys name a classifier's
        valid = [BACKBONE_PREFIX + k for k in valid]
    choices = read_subnet_spec(spec, valid, source)
    if isinstance(spec, str):
        source = spec
    choices = strip_backbone_prefix(choices, paths, source)
    try:
        decided = mutator.validate_choices(choices)
    except (KeyError, ValueError) as err:
        detail = err.args[0] if err.args else str(err)
        raise SubnetFileError(
            f'{source}: {detail}. {_key_forms(paths)} Valid: '
            f'{describe_choices(mutator.choices)}') from err
    return OrderedDict((path, decided[key])
                       for key, members in mutator.search_groups.items()
                       for path, _ in members)


def fix_model(model: nn.Module,
              spec: Union[str, Mapping],
              source: str = 'subnet',
              keep_candidate_keys: bool = False) -> 'OrderedDict[str, str]':
    """Replace every one-shot choice of ``model`` by its chosen op, in place.

    Args:
        model: a supernet (e.g. an ``ImageClassifier`` whose backbone is a
            searchable space).
        spec: subnet yaml/json path or mapping (see :func:`read_subnet_spec`).
        source: names ``spec`` in error messages when it is a mapping.
        keep_candidate_keys: keep MMRazor's layout (see the module doc).

    Returns:
        ``module path -> chosen name`` as applied (the subnet's identity).
    """
    fixed = check_subnet(model, spec, source)
    for path, name in fixed.items():
        parent_path, _, child = path.rpartition('.')
        parent = model.get_submodule(parent_path) if parent_path else model
        mutable = getattr(parent, child)
        if keep_candidate_keys:
            mutable.fix(name)
        else:  # the op keeps its weights; the other candidates are dropped
            setattr(parent, child, mutable.candidate(name))
    return fixed
