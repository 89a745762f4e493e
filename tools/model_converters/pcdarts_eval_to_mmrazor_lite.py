"""Convert a PC-DARTS / DARTS reference evaluation-network state dict.

The reference NetworkCIFAR / NetworkImageNet (yuhuixu1993/PC-DARTS,
quark0/darts) names modules by position; ours (an ImageClassifier with a
``DartsEvalNetwork`` backbone and a ``DartsEvalHead``) by role:

    stem.0 / stem.1                    -> backbone.stem.conv / .bn
    stem0.{0,1,3,4} / stem1.{1,2}      -> backbone.stem0.{conv1,bn1,conv2,bn2}
                                          / backbone.stem1.{conv,bn}
    cells.i.preprocess*.op.{1,2}       -> backbone.cells.i.preprocess*
                                          .{conv,bn}
    cells.i._ops.n.op.k (sep/dil conv) -> backbone.cells.i.ops.n.<part>
    auxiliary_head.features.{2,3,5,6}  -> head.auxiliary_head.features
                                          .{conv1,bn1,conv2,bn2}
    auxiliary_head.classifier / classifier -> head.auxiliary_head.classifier
                                          / head.classifier

``_ops.n`` is the n-th (op, input) pair of the cell's genotype, so the key
meaning depends on the op there: the genotype is needed, and whether cell i
reduces (cells ``L // 3`` and ``2L // 3``, ``L`` counted from the keys).

Usage::

    python tools/model_converters/pcdarts_eval_to_mmrazor_lite.py IN OUT \
        --genotype PC_DARTS_cifar|path/to/genotype.yaml
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch
# a sibling file: run as a script, this directory is on sys.path
from darts_reference_keys import (DIL_CONV_PARTS, RELU_CONV_BN_PARTS,
                                  SEP_CONV_PARTS, STEM_PREFIXES)

from mmrazor_lite.fileio.checkpoint_io import (CheckpointError,
                                               atomic_torch_save,
                                               load_checkpoint_file)
from mmrazor_lite.spaces.darts_eval_network import resolve_genotype
from mmrazor_lite.structures.genotype import Genotype

_FIXED_PREFIXES = {
    **{
        old: f'backbone.{ours}'
        for old, ours in STEM_PREFIXES.items()
    },
    'auxiliary_head.features.2.': 'head.auxiliary_head.features.conv1.',
    'auxiliary_head.features.3.': 'head.auxiliary_head.features.bn1.',
    'auxiliary_head.features.5.': 'head.auxiliary_head.features.conv2.',
    # CIFAR only: the ImageNet aux head has a ReLU (no keys) at index 6
    'auxiliary_head.features.6.': 'head.auxiliary_head.features.bn2.',
    'auxiliary_head.classifier.': 'head.auxiliary_head.classifier.',
    'classifier.': 'head.classifier.',
}
_FACTORIZED_REDUCE = re.compile(r'(conv_1|conv_2|bn)\..+')


def _convert_op_rest(op: str, rest: str) -> Optional[str]:
    """Map the reference key tail of a cell op to ours.

    Returns None if the tail does not fit the op.
    """
    if op.startswith(('sep_conv', 'dil_conv')):
        table = (
            SEP_CONV_PARTS if op.startswith('sep_conv') else DIL_CONV_PARTS)
        match = re.fullmatch(r'op\.(\d+)\.(.+)', rest)
        if match and match.group(1) in table:
            return f'{table[match.group(1)]}.{match.group(2)}'
        return None
    if op == 'skip_connect' and _FACTORIZED_REDUCE.fullmatch(rest):
        return rest  # stride 2: FactorizedReduce, same names
    return None  # pools and identity hold no tensors


def _convert_cell_key(cell: int, rest: str, genotype: Genotype,
                      reduction: bool) -> Optional[str]:
    """Map the key tail of reference cell ``cell`` to ours, or None."""
    match = re.fullmatch(r'(preprocess[01])\.(.+)', rest)
    if match:
        pre, tail = match.groups()
        sub = re.fullmatch(r'op\.(\d)\.(.+)', tail)
        if sub and sub.group(1) in RELU_CONV_BN_PARTS:
            tail = f'{RELU_CONV_BN_PARTS[sub.group(1)]}.{sub.group(2)}'
        elif not _FACTORIZED_REDUCE.fullmatch(tail):
            return None
        return f'backbone.cells.{cell}.{pre}.{tail}'
    match = re.fullmatch(r'_ops\.(\d+)\.(.+)', rest)
    pairs = genotype.reduce if reduction else genotype.normal
    if match is None or int(match.group(1)) >= len(pairs):
        return None
    n = int(match.group(1))
    new = _convert_op_rest(pairs[n][0], match.group(2))
    return None if new is None else f'backbone.cells.{cell}.ops.{n}.{new}'


def convert_state_dict(
        state_dict: Dict[str, torch.Tensor],
        genotype,
        num_layers: Optional[int] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Convert a reference eval-network state dict to our ImageClassifier.

    Args:
        state_dict (Dict[str, torch.Tensor]): The
            ``NetworkCIFAR`` / ``NetworkImageNet.state_dict()``; a
            DataParallel ``module.`` prefix is stripped.
        genotype (Genotype | dict | str): The network's genotype, anything
            ``DartsEvalNetwork`` accepts: a Genotype, a dict, a shipped
            name or a file path.
        num_layers (int, optional): The number of cells. Defaults to None
            (counted from the keys).

    Returns:
        OrderedDict[str, torch.Tensor]: The state dict of our
        ImageClassifier (``backbone.*`` and ``head.*``).

    Raises:
        ValueError: Listing every key that has no counterpart, or when
            the cells are to be counted and there is no cell key.
    """
    genotype = resolve_genotype(genotype)
    state_dict = {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }
    if num_layers is None:
        cells = [
            int(m.group(1)) for k in state_dict
            for m in [re.match(r'cells\.(\d+)\.', k)] if m
        ]
        if not cells:
            raise ValueError('no cells.<i>.* keys: this is not a reference '
                             'evaluation-network state dict')
        num_layers = max(cells) + 1
    reductions = (num_layers // 3, 2 * num_layers // 3)

    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        new = None
        for old, ours in _FIXED_PREFIXES.items():
            if key.startswith(old):
                new = ours + key[len(old):]
                break
        match = re.fullmatch(r'cells\.(\d+)\.(.+)', key)
        if match:
            cell = int(match.group(1))
            if cell < num_layers:
                new = _convert_cell_key(cell, match.group(2), genotype, cell
                                        in reductions)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        shown = ', '.join(unknown[:20])
        more = f' (and {len(unknown) - 20} more)' if len(unknown) > 20 else ''
        raise ValueError(
            f'{len(unknown)} keys do not belong to a reference evaluation '
            f'network with this genotype and {num_layers} cells: '
            f'{shown}{more}')
    return out


def read_reference_checkpoint(path: str):
    """Load the reference file safely, or exit with one line naming it.

    Args:
        path (str): The reference checkpoint file.

    Returns:
        object: What the file holds, a state dict or a checkpoint dict.

    Raises:
        SystemExit: If the file is missing or cannot be loaded safely.
    """
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
            converted or ``--genotype`` names no genotype.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='reference state dict (.pt/.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--genotype',
        required=True,
        help='shipped genotype name (PC_DARTS_cifar, '
        'PC_DARTS_image, DARTS_V1, DARTS_V2) or a '
        'genotype .yaml/.json')
    parser.add_argument(
        '--num-layers',
        type=int,
        default=None,
        help='number of cells (default: counted)')
    args = parser.parse_args(argv)

    ckpt = read_reference_checkpoint(args.src)
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict):
        raise SystemExit(f'{args.src}: expected a state dict, got '
                         f'{type(ckpt).__name__}')
    try:
        genotype = resolve_genotype(args.genotype)
    except (KeyError, TypeError, ValueError) as err:
        raise SystemExit(f'--genotype: {err.args[0] if err.args else err}')
    try:
        state_dict = convert_state_dict(ckpt, genotype, args.num_layers)
    except ValueError as err:
        raise SystemExit(f'{args.src}: {err}')
    out = {
        'state_dict': state_dict,
        'meta': {
            'converted_from': args.src,
            'converter': 'pcdarts_eval_to_mmrazor_lite',
            'genotype': genotype.to_dict()
        }
    }
    atomic_torch_save(out, args.dst)
    print(f'{args.dst}: {len(state_dict)} tensors')


if __name__ == '__main__':
    main()
