"""Convert a PC-DARTS / DARTS reference search-network state dict.

The reference code (yuhuixu1993/PC-DARTS, quark0/darts) names modules by
position (``cells.3._ops.7._ops.4.op.6.weight``); mmrazor_lite names them by
role (``cells.3.nodes.2.edges.2``, then the candidate
``_candidates.sep_conv_3x3.conv2.pointwise.weight``). Edge ``e`` of a
reference cell is input ``j`` of node ``n`` with ``e = offset(n) + j``,
offsets 0, 2, 5, 9.

The reference kept alphas/betas outside its state dict; if the input file
holds them anyway (``alphas_normal``, ``betas_reduce``...), they are written
to ``arch`` as ``alpha_normal``, ``beta_reduce``... (raw, pre-softmax).

Usage::

    python tools/model_converters/pcdarts_search_to_mmrazor_lite.py IN OUT \
        [--prefix backbone.] [--classifier-prefix head.fc.] [--algorithm]

``--algorithm`` writes a checkpoint of our ``DARTS`` algorithm (the search
configs' model): weights under ``architecture.backbone.`` /
``architecture.head.fc.`` and the alphas / betas as the mutator's
parameters (``mutator.alpha_normal`` ...), so ``load_from=OUT`` (or
``--resume``-free fine-tuning) continues the reference search in ours.
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch
# a sibling file: run as a script, this directory is on sys.path
from darts_reference_keys import (DIL_CONV_PARTS, RELU_CONV_BN_PARTS,
                                  SEP_CONV_PARTS, STEM_PREFIXES)

from mmrazor_lite.mutables.edge_normalised_node import node_edge_slices
from mmrazor_lite.ops.darts_ops import DARTS_PRIMITIVES

_ARCH = {
    'alphas_normal': 'alpha_normal',
    'alphas_reduce': 'alpha_reduce',
    'betas_normal': 'beta_normal',
    'betas_reduce': 'beta_reduce'
}


def convert_mixed_op_key(key: str,
                         primitives: Sequence[str] = DARTS_PRIMITIVES) -> str:
    """Map a key ``_ops.i.<op keys>`` of a reference MixedOp to ours.

    Args:
        key (str): The key inside the reference MixedOp.
        primitives (Sequence[str]): The candidate ops, in the reference's
            order. Defaults to ``DARTS_PRIMITIVES``.

    Returns:
        str: Our mixed-op key, ``_candidates.<name>.<...>``.

    Raises:
        KeyError: If ``key`` is not a reference mixed-op key, or not one
            its primitive has.
    """
    match = re.fullmatch(r'_ops\.(\d+)\.(.+)', key)
    if match is None or int(match.group(1)) >= len(primitives):
        raise KeyError(f'{key!r} is not a reference mixed-op key '
                       f'(_ops.<0..{len(primitives) - 1}>.<...>)')
    name, rest = primitives[int(match.group(1))], match.group(2)
    new_rest = None
    if name in ('max_pool_3x3', 'avg_pool_3x3'):
        # Sequential(pool, BN): the BN is child 1.
        if rest.startswith('1.'):
            new_rest = 'bn.' + rest[2:]
    elif name == 'skip_connect':
        # Only the stride-2 FactorizedReduce has weights; names agree.
        if re.match(r'(conv_1|conv_2|bn)\.', rest):
            new_rest = rest
    elif name.startswith(('sep_conv', 'dil_conv')):
        table = (
            SEP_CONV_PARTS if name.startswith('sep_conv') else DIL_CONV_PARTS)
        sub = re.fullmatch(r'op\.(\d+)\.(.+)', rest)
        if sub and sub.group(1) in table:
            new_rest = f'{table[sub.group(1)]}.{sub.group(2)}'
    if new_rest is None:
        raise KeyError(f'{key!r}: unexpected key for primitive {name!r}')
    return f'_candidates.{name}.{new_rest}'


def _infer_steps(keys) -> int:
    """The number of nodes per cell that the edge keys imply."""
    edges = [
        int(m.group(1)) for k in keys
        for m in [re.match(r'cells\.\d+\._ops\.(\d+)\.', k)] if m
    ]
    if not edges:
        raise KeyError('no cells.<i>._ops.<e>.* keys: this is not a '
                       'reference search-network state dict')
    num_edges, steps = max(edges) + 1, 1
    while node_edge_slices(steps)[-1][1] < num_edges:
        steps += 1
    if node_edge_slices(steps)[-1][1] != num_edges:
        raise ValueError(f'{num_edges} edges per cell match no node count')
    return steps


def convert_key(key: str,
                steps: int = 4,
                primitives: Sequence[str] = DARTS_PRIMITIVES) -> str:
    """Map one reference search-network key to the DartsSearchNetwork key.

    Args:
        key (str): The reference key.
        steps (int): The number of nodes per cell. Defaults to 4.
        primitives (Sequence[str]): The candidate ops, in the reference's
            order. Defaults to ``DARTS_PRIMITIVES``.

    Returns:
        str: Our key.

    Raises:
        KeyError: If ``key`` is not a key of the reference search network.
    """
    for old, new in STEM_PREFIXES.items():
        if key.startswith(old):
            return new + key[len(old):]
    if key.startswith('classifier.'):
        return key
    match = re.fullmatch(r'cells\.(\d+)\.(preprocess[01])\.(.+)', key)
    if match:
        cell, pre, rest = match.groups()
        sub = re.fullmatch(r'op\.(\d)\.(.+)', rest)
        if sub and sub.group(1) in RELU_CONV_BN_PARTS:  # ReLUConvBN
            rest = f'{RELU_CONV_BN_PARTS[sub.group(1)]}.{sub.group(2)}'
        elif not re.match(r'(conv_1|conv_2|bn)\.', rest):  # FactorizedReduce
            raise KeyError(f'{key!r}: unexpected preprocess key')
        return f'cells.{cell}.{pre}.{rest}'
    match = re.fullmatch(r'cells\.(\d+)\._ops\.(\d+)\.(.+)', key)
    if match:
        cell, edge, rest = int(match.group(1)), int(match.group(2)), \
            match.group(3)
        for node, (start, end) in enumerate(node_edge_slices(steps)):
            if start <= edge < end:
                new_rest = convert_mixed_op_key(rest, primitives)
                return (f'cells.{cell}.nodes.{node}.edges.{edge - start}.'
                        f'{new_rest}')
        raise KeyError(f'{key!r}: edge {edge} does not exist with {steps} '
                       f'nodes per cell')
    raise KeyError(f'{key!r} is not a key of the reference search network')


def convert_state_dict(
    state_dict: Dict[str, torch.Tensor],
    steps: Optional[int] = None,
    primitives: Sequence[str] = DARTS_PRIMITIVES,
    prefix: str = '',
    classifier_prefix: Optional[str] = None
) -> Tuple['OrderedDict[str, torch.Tensor]', Dict[str, torch.Tensor]]:
    """Convert a whole reference state dict.

    Args:
        state_dict (Dict[str, torch.Tensor]): The reference
            ``Network.state_dict()``, maybe with the alphas / betas.
        steps (int, optional): The number of nodes per cell. Defaults to
            None (inferred from the edge keys).
        primitives (Sequence[str]): The candidate ops, in the reference's
            order. Defaults to ``DARTS_PRIMITIVES``.
        prefix (str): What is put before every converted key
            (``'backbone.'`` to load into an ImageClassifier whose
            backbone is the network). Defaults to ``''``.
        classifier_prefix (str, optional): Where ``classifier.*`` goes
            instead of ``prefix + 'classifier.'`` (``'head.fc.'`` for a
            LinearClsHead). Defaults to None.

    Returns:
        tuple: ``(state_dict, arch)``: the converted state dict and the raw
        arch tensors found in the input, renamed ``alpha_normal`` ...

    Raises:
        KeyError: If a key is not one of the reference search network.
        ValueError: If the number of edges per cell matches no node count.
    """
    arch = {_ARCH[k]: v for k, v in state_dict.items() if k in _ARCH}
    weights = {k: v for k, v in state_dict.items() if k not in _ARCH}
    if steps is None:
        steps = _infer_steps(weights)
    out = OrderedDict()
    for key, value in weights.items():
        new = convert_key(key, steps, primitives)
        if classifier_prefix is not None and new.startswith('classifier.'):
            new = classifier_prefix + new[len('classifier.'):]
        else:
            new = prefix + new
        out[new] = value
    return out, arch


def read_reference_checkpoint(path: str):
    """Load the reference file safely, or exit with one line naming it.

    Args:
        path (str): The reference checkpoint file.

    Returns:
        object: What the file holds, a state dict or a checkpoint dict.

    Raises:
        SystemExit: If the file is missing or cannot be loaded safely.
    """
    from mmrazor_lite.fileio.checkpoint_io import (CheckpointError,
                                                   load_checkpoint_file)
    try:
        return load_checkpoint_file(path, map_location='cpu')
    except (FileNotFoundError, CheckpointError) as err:
        raise SystemExit(f'error: {err}')


def main(argv=None):
    """Convert the reference state dict the command line names.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Raises:
        SystemExit: With the message, if the input cannot be read or
            converted, or ``--algorithm`` finds no alphas in it.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='reference state dict (.pt/.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--prefix',
        default='',
        help="prefix for converted keys, e.g. 'backbone.'")
    parser.add_argument(
        '--classifier-prefix',
        default=None,
        help="where classifier.* goes, e.g. 'head.fc.'")
    parser.add_argument(
        '--steps',
        type=int,
        default=None,
        help='nodes per cell (default: inferred)')
    parser.add_argument(
        '--algorithm',
        action='store_true',
        help='write a DARTS algorithm checkpoint (weights '
        'and arch parameters in one state dict)')
    args = parser.parse_args(argv)
    if args.algorithm:
        args.prefix = 'architecture.backbone.'
        args.classifier_prefix = 'architecture.head.fc.'

    ckpt = read_reference_checkpoint(args.src)
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        extra = {k: v for k, v in ckpt.items() if k in _ARCH}
        ckpt = dict(ckpt['state_dict'], **extra)
    if not isinstance(ckpt, dict):
        raise SystemExit(f'{args.src}: expected a state dict, got '
                         f'{type(ckpt).__name__}')
    try:
        state_dict, arch = convert_state_dict(
            ckpt,
            args.steps,
            prefix=args.prefix,
            classifier_prefix=args.classifier_prefix)
    except (KeyError, ValueError) as err:
        raise SystemExit(f'{args.src}: {err.args[0] if err.args else err}')
    out = {
        'state_dict': state_dict,
        'meta': {
            'converted_from': args.src,
            'converter': 'pcdarts_search_to_mmrazor_lite'
        }
    }
    if args.algorithm:
        if not arch:
            raise SystemExit(f'{args.src}: --algorithm needs the alphas '
                             f'(alphas_normal, alphas_reduce, ...) in the '
                             f'input; the reference keeps them outside its '
                             f'state dict: add them to the file')
        state_dict.update(('mutator.' + k, v) for k, v in arch.items())
    elif arch:
        out['arch'] = arch
    from mmrazor_lite.fileio.checkpoint_io import atomic_torch_save
    atomic_torch_save(out, args.dst)
    print(f'{args.dst}: {len(state_dict)} tensors' +
          (f', arch {sorted(arch)}' if arch else ''))


if __name__ == '__main__':
    main()
