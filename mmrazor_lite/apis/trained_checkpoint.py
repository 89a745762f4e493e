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

from mmrazor_lite.fileio.strict_state_loading import (load_state_strictly,
                                                      read_checkpoint)
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


def load_checkpoint_strictly(runner,
                             checkpoint: str,
                             data: Optional[dict] = None) -> None:
    """Load ``checkpoint`` into ``runner.model``: every key, every shape.

    ``data``: the checkpoint when it was read already. Runs the
    ``after_load_checkpoint`` hooks as mmengine's load does.

    Raises:
        ArchitectureMismatchError: the checkpoint records another
            architecture (``meta.fix_subnet`` / ``meta.genotype``).
        CheckpointError: see
            :func:`mmrazor_lite.fileio.strict_state_loading.load_state_strictly`.
    """
    data = read_checkpoint(checkpoint) if data is None else data
    model = unwrap_model(runner.model)
    check_architecture(data.get('meta'), model, checkpoint)
    runner.call_hook('after_load_checkpoint', checkpoint=data)
    load_state_strictly(model, data['state_dict'], checkpoint)
    runner.logger.info(f'Load checkpoint from {checkpoint} (strict)')
