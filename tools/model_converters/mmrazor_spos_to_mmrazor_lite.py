"""Convert an MMRazor 1.x SPOS checkpoint to mmrazor_lite.

MMRazor 1.x and mmrazor_lite name the classifier's modules alike
(``backbone.layers.0.0`` +
``_candidates.shuffle_7x7.branch1.0.conv.weight``, ``backbone.layer2.1`` +
``_candidates.mb_k3e6...``, ``head.fc.*``), so only the wrapping differs:

* MMRazor's SPOS algorithm (and ours) keeps the classifier under
  ``architecture.``; a subnet / plain ImageClassifier checkpoint has no
  prefix. Either input is accepted; ``--prefix`` says which the output uses.
* Keys that are not classifier weights (the algorithm's own buffers,
  ``mutator.*``, ``data_preprocessor.*``) have no home here and are dropped,
  with a printed list.

Both SPOS spaces are handled (ShuffleNetV2: ``backbone.layers.S.B``;
MobileNet ProxylessNAS-GPU: ``backbone.layerN.B``). Build the receiving
model with the widths MMRazor used; note how MMRazor applies
``widen_factor`` outside the searched stages, which our spaces reproduce:

* ShuffleNetV2: the stem (16) and the last conv (1024) are never scaled;
  only the stage widths are.
* MobileNet: the stem is scaled and rounded to a multiple of 8 (40 -> 24 at
  0.5), the stages likewise; the last conv (1728) is scaled only when
  widening (``widen_factor > 1``), never when thinning, so the head keeps
  ``in_channels=1728`` at ``widen_factor <= 1``.

Anything else (MMRazor 0.x ``architecture.model.*`` keys, keys outside
``backbone`` / ``neck`` / ``head``, non-tensor values) is refused, never
guessed at.

Usage::

    python tools/model_converters/mmrazor_spos_to_mmrazor_lite.py IN OUT \
        [--prefix architecture.]
"""
import argparse
import os.path as osp
import sys
import zipfile
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch

ALGO_PREFIX = 'architecture.'
#: top-level children of an mmpretrain ImageClassifier that hold weights.
MODEL_ROOTS = ('backbone.', 'neck.', 'head.')
#: state that is not part of the classifier: dropped, not refused.
DROPPABLE_ROOTS = ('data_preprocessor.', 'mutator.')


class ConversionError(ValueError):
    """The input is not an MMRazor 1.x SPOS checkpoint we can convert."""


def _is_state_dict(obj) -> bool:
    """Whether ``obj`` is a non-empty mapping str -> Tensor."""
    return (isinstance(obj, Mapping) and len(obj) > 0 and all(
        isinstance(k, str) and isinstance(v, torch.Tensor)
        for k, v in obj.items()))


def extract_state_dict(checkpoint, source: str = 'input'):
    """Split a checkpoint dict or a bare state dict into state and meta.

    Args:
        checkpoint (Mapping): A checkpoint dict with ``state_dict`` (and
            maybe ``meta``), or a bare state dict (str -> Tensor).
        source (str): The name of the input in error messages. Defaults
            to ``'input'``.

    Returns:
        tuple: ``(state_dict, meta)``; ``meta`` is ``{}`` when there is
        none.

    Raises:
        ConversionError: If ``checkpoint`` is neither, or its
            ``state_dict`` is not a non-empty mapping str -> Tensor.
    """
    if isinstance(checkpoint, Mapping) and 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
        meta = checkpoint.get('meta') or {}
        if not _is_state_dict(state_dict):
            raise ConversionError(
                f'{source}: "state_dict" must be a non-empty mapping '
                f'str -> Tensor, got {type(state_dict).__name__}')
        return state_dict, meta
    if _is_state_dict(checkpoint):
        return checkpoint, {}
    if isinstance(checkpoint, Mapping):
        what = f'a dict with keys {sorted(map(str, checkpoint))[:10]}'
    else:
        what = type(checkpoint).__name__
    raise ConversionError(
        f'{source}: expected a checkpoint dict with "state_dict" (and maybe '
        f'"meta") or a bare state dict (str -> Tensor), got {what}')


def convert_mmrazor_spos(
        state_dict: Mapping[str, torch.Tensor],
        add_prefix: str = '',
        dropped: Optional[List[str]] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """Convert an MMRazor 1.x SPOS state dict to ours.

    The classifier keys are put under ``add_prefix``; the keys that are not
    classifier weights are dropped, with a printed list.

    Args:
        state_dict (Mapping[str, torch.Tensor]): An MMRazor SPOS algorithm
            state dict (``architecture.*``) or a subnet / ImageClassifier
            one (``backbone.*`` ...).
        add_prefix (str): ``''`` (load into the classifier) or
            ``'architecture.'`` (load into our SPOS algorithm). Defaults
            to ``''``.
        dropped (List[str], optional): If given, the dropped input keys
            are appended to it. Defaults to None.

    Returns:
        OrderedDict[str, torch.Tensor]: The converted state dict.

    Raises:
        ConversionError: Naming the offending keys and what is accepted,
            for a bad ``add_prefix``, MMRazor 0.x keys, keys of no known
            part or no backbone weights.
    """
    if add_prefix not in ('', ALGO_PREFIX):
        raise ConversionError(f'add_prefix must be "" or {ALGO_PREFIX!r}, '
                              f'got {add_prefix!r}')
    if not _is_state_dict(state_dict):
        raise ConversionError('state_dict must be a non-empty mapping '
                              'str -> Tensor')
    keys = list(state_dict)
    legacy = [k for k in keys if k.startswith(ALGO_PREFIX + 'model.')]
    if legacy:
        raise ConversionError(
            f'{legacy[:3]}...: "architecture.model." keys are MMRazor 0.x '
            f'checkpoints, which this converter does not read (MMRazor 1.x '
            f'keys are "architecture.backbone..." or "backbone...")')
    wrapped = any(k.startswith(ALGO_PREFIX) for k in keys)
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    skipped, unknown = [], []
    for key, value in state_dict.items():
        if wrapped:
            if not key.startswith(ALGO_PREFIX):
                # algorithm-level state (MMRazor's, or ours): not weights
                skipped.append(key)
                continue
            inner = key[len(ALGO_PREFIX):]
        else:
            inner = key
        if inner.startswith(MODEL_ROOTS):
            out[add_prefix + inner] = value
        elif inner.startswith(DROPPABLE_ROOTS):
            skipped.append(key)
        else:
            unknown.append(key)
    if unknown:
        raise ConversionError(
            f'{len(unknown)} key(s) belong to no known part of an MMRazor '
            f'SPOS checkpoint: {unknown[:10]}. Accepted: '
            f'{[ALGO_PREFIX + r for r in MODEL_ROOTS]} (algorithm) or '
            f'{list(MODEL_ROOTS)} (classifier), plus droppable '
            f'{list(DROPPABLE_ROOTS)} and, in an algorithm checkpoint, '
            f'keys outside "architecture."')
    if not any(k[len(add_prefix):].startswith('backbone.') for k in out):
        raise ConversionError(
            f'no backbone weights found among {keys[:10]}: this is not an '
            f'MMRazor SPOS classifier / algorithm state dict')
    if skipped:
        print(f'dropped {len(skipped)} key(s) mmrazor_lite has no home for: '
              f'{skipped}')
    if dropped is not None:
        dropped.extend(skipped)
    return out


def _check_torch_file(src: str) -> None:
    """Name a non-checkpoint input as such, before torch calls it unsafe."""
    if not osp.isfile(src):
        raise FileNotFoundError(f'checkpoint {src!r} does not exist')
    if zipfile.is_zipfile(src):
        return
    with open(src, 'rb') as f:
        head = f.read(2)
    # torch.save's legacy format is a pickle: protocol opcode 0x80 first
    if len(head) < 2 or head[0] != 0x80:
        raise ConversionError(
            f'{src!r} is not a PyTorch checkpoint (neither a torch.save zip '
            f'archive nor a legacy pickle)')


def convert_file(src: str, dst: str, add_prefix: str = '') -> Dict:
    """Read ``src``, convert it and write ``{'state_dict', 'meta'}``.

    Args:
        src (str): The MMRazor checkpoint file.
        dst (str): Where the converted checkpoint is written.
        add_prefix (str): ``''`` or ``'architecture.'``, see
            :func:`convert_mmrazor_spos`. Defaults to ``''``.

    Returns:
        Dict: The checkpoint written to ``dst``.

    Raises:
        FileNotFoundError: If ``src`` does not exist.
        ConversionError: If ``src`` is not a convertible MMRazor 1.x SPOS
            checkpoint.
        CheckpointError: If ``src`` cannot be loaded safely.
    """
    import mmrazor_lite  # noqa: F401  (allow-lists mmengine's types)
    from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                                   load_checkpoint_file)
    _check_torch_file(src)
    checkpoint = load_checkpoint_file(src, map_location='cpu')
    state_dict, src_meta = extract_state_dict(checkpoint, src)
    dropped: List[str] = []
    try:
        converted = convert_mmrazor_spos(state_dict, add_prefix, dropped)
    except ConversionError as err:
        raise ConversionError(f'{src}: {err}') from err
    meta = dict(
        source=src,
        converter='mmrazor_spos_to_mmrazor_lite',
        prefix=add_prefix,
        dropped_keys=dropped,
        source_meta=dict(src_meta) if isinstance(src_meta, Mapping) else {})
    result = {'state_dict': converted, 'meta': meta}
    atomic_torch_save(result, dst)
    return result


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Convert an MMRazor 1.x SPOS checkpoint to mmrazor_lite')
    parser.add_argument('src', help='MMRazor checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    parser.add_argument(
        '--prefix',
        default='',
        choices=['', ALGO_PREFIX],
        help='"architecture." to load into the SPOS algorithm, nothing '
        '(default) to load into the classifier')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Convert the checkpoint the command line names.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        int: 0 on success, 1 after printing the error to stderr.
    """
    args = parse_args(argv)
    from mmrazor_lite.fileio.checkpoint_io import CheckpointError
    try:
        result = convert_file(args.src, args.dst, args.prefix)
    except (ConversionError, CheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'wrote {len(result["state_dict"])} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
