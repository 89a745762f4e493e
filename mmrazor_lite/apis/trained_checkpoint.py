"""Test or export a trained checkpoint as the network it was trained as.

``tools/test.py CONFIG CKPT`` and ``export_subnet.py`` take the
architecture from CKPT, not from the config's default:

- a SPOS subnet config (``FixedSubnet``) loads CKPT as its
  ``init_cfg.checkpoint``: the subnet comes from ``meta.fix_subnet`` and the
  weights load strictly (:mod:`mmrazor_lite.subnet.fixed_subnet_model`);
- a DARTS evaluation config builds ``meta.genotype`` in place of
  ``model.backbone.default_genotype``; an explicit
  ``model.backbone.genotype`` that differs is an error naming both;
- every other model loads CKPT strictly (:func:`load_checkpoint_strictly`):
  a missing, unexpected or misshapen weight is an error, never a warning
  followed by a test of half-random weights.
"""
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

from mmrazor_lite.fileio.checkpoint_io import (CheckpointError,
                                               load_checkpoint_file)
from mmrazor_lite.spaces.darts_eval_network import resolve_genotype
from mmrazor_lite.structures.architecture_meta import (
    ArchitectureMismatchError, check_architecture, genotype_difference,
    unwrap_model)


def _type_name(node) -> str:
    kind = (node or {}).get('type') if hasattr(node, 'get') else None
    return str(kind).split('.')[-1]


def use_checkpoint_architecture(cfg: Config,
                                checkpoint: str) -> Optional[dict]:
    """Point ``cfg`` at ``checkpoint``'s architecture and weights.

    Returns:
        the checkpoint, read once (:func:`read_checkpoint`), for
        :func:`load_checkpoint_strictly` to load after the runner is built;
        or None when the model loads it itself (``FixedSubnet``).
        ``cfg.load_from`` is cleared either way, so mmengine's non-strict
        load does not run.
    """
    cfg.load_from = None
    if _type_name(cfg.model) == 'FixedSubnet':
        cfg.model.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
        return None
    data = read_checkpoint(checkpoint)
    backbone = cfg.model.get('backbone')
    if _type_name(backbone) == 'DartsEvalNetwork':
        _use_checkpoint_genotype(backbone, checkpoint, data['meta'])
    return data


def _use_checkpoint_genotype(backbone, checkpoint: str, meta: dict) -> None:
    saved = (meta or {}).get('genotype')
    if not saved:
        return  # an older checkpoint: the strict load still checks fit
    explicit = backbone.get('genotype')
    if explicit is None:
        backbone.genotype = dict(saved)
        print_log(
            f'genotype from {checkpoint} (meta.genotype): {saved}',
            logger='current')
        return
    built = resolve_genotype(explicit).to_dict()
    differ = genotype_difference(saved, built)
    if differ:
        raise ArchitectureMismatchError(
            f'model.backbone.genotype={explicit!r} differs from the cell '
            f'{checkpoint} was trained as (meta.genotype; they differ in '
            f'{differ}).\n  checkpoint: {dict(saved)}\n  config:     '
            f'{built}\nDrop model.backbone.genotype to test the '
            f'checkpoint\'s own cell.')


def read_checkpoint(checkpoint: str) -> dict:
    """``{'state_dict': ..., 'meta': ...}`` of a checkpoint or bare state."""
    data = load_checkpoint_file(checkpoint, map_location='cpu')
    if not isinstance(data, dict) or 'state_dict' not in data:
        data = {'state_dict': data, 'meta': {}}
    return data


def load_checkpoint_strictly(runner,
                             checkpoint: str,
                             data: Optional[dict] = None) -> None:
    """Load ``checkpoint`` into ``runner.model``: every key, every shape.

    ``data``: the checkpoint when it was read already. Runs the
    ``after_load_checkpoint`` hooks as mmengine's load does.

    Raises:
        ArchitectureMismatchError: the checkpoint records another
            architecture (``meta.fix_subnet`` / ``meta.genotype``).
        CheckpointError: see :func:`load_state_strictly`.
    """
    data = read_checkpoint(checkpoint) if data is None else data
    model = unwrap_model(runner.model)
    check_architecture(data.get('meta'), model, checkpoint)
    runner.call_hook('after_load_checkpoint', checkpoint=data)
    load_state_strictly(model, data['state_dict'], checkpoint)
    runner.logger.info(f'Load checkpoint from {checkpoint} (strict)')


def load_state_strictly(model, state_dict, checkpoint: str) -> None:
    """``model.load_state_dict`` that names the file and the bad keys.

    Raises:
        CheckpointError: keys missing, left over or of another shape; the
            message names the file and the first keys of each kind.
    """
    state = {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshapen = [
        f'{k} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}'
        for k in expected if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or misshapen:
        lines = [
            f'{checkpoint}: its weights do not fit the model the '
            f'config builds (a checkpoint of another config or '
            f'architecture?)'
        ]
        for kind, keys in (('missing', missing), ('unexpected', unexpected),
                           ('shape (checkpoint vs model)', misshapen)):
            if keys:
                more = f' ... (+{len(keys) - 5} more)' if len(keys) > 5 \
                    else ''
                lines.append(f'  {len(keys)} {kind}: {keys[:5]}{more}')
        raise CheckpointError('\n'.join(lines))
    model.load_state_dict(state, strict=True)
