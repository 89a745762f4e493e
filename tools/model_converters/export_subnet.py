"""Export a found network: clean weights (+ optional TorchScript).

Two kinds of config:

* SPOS subnet configs (``type='FixedSubnet'``): the model is built from CKPT
  (a search's sliced weights or a retrained subnet checkpoint; the subnet is
  the one CKPT carries unless the config sets ``model.fix_subnet``);
* DARTS / PC-DARTS evaluation configs (a classifier whose backbone is a
  ``DartsEvalNetwork``): the cell is CKPT's ``meta.genotype`` (unless
  ``model.backbone.genotype`` is set: then they must agree), its weights
  load strictly.

It writes::

    {'state_dict': backbone.* / neck.* / head.* (plain ops, no prefixes),
     'meta': {'fix_subnet': {module path: choice}, 'config': CONFIG,
              'source_checkpoint': CKPT}}

which ``torch.load(OUT, weights_only=True)`` reads and which loads strictly
into the same config's model built with ``model.fix_subnet`` set to that
subnet. ``--torchscript`` also writes a traced module ``x -> logits``.

Usage::

    python tools/model_converters/export_subnet.py CONFIG CKPT --out OUT.pth \
        [--torchscript OUT.pt] [--shape H W] [--cfg-options k=v ...]
"""
import argparse
import io
import os.path as osp
import sys
from typing import Optional, Sequence

import torch
import torch.nn as nn

MODEL_ROOTS = ('backbone.', 'neck.', 'head.')
#: in a clean key these would mean a wrapper or an unfixed choice slipped in
FORBIDDEN = ('architecture.', 'module.', '_candidates')


class ExportError(RuntimeError):
    """The config or the export result is not what an export needs."""


class _Logits(nn.Module):
    """``x -> model(x, mode='tensor')``: tracing needs a plain forward(x)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def build_fixed_subnet(config: str, checkpoint: str, cfg_options=None):
    """The config's found network with ``checkpoint``'s weights, in eval."""
    import mmrazor_lite  # noqa: F401  (registers modules, safe loading)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmrazor_lite.registry import MODELS

    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_type = str(cfg.model.get('type')).split('.')[-1]
    backbone_type = str(cfg.model.get('backbone', {}).get('type')).split(
        '.')[-1]
    init_default_scope(cfg.get('default_scope', 'mmrazor_lite'))
    if backbone_type == 'DartsEvalNetwork':
        from mmrazor_lite.apis.trained_checkpoint import (
            read_checkpoint, use_checkpoint_architecture, load_state_strictly)
        from mmrazor_lite.subnet.architecture_meta import check_architecture
        # the cell is the checkpoint's meta.genotype unless set explicitly
        use_checkpoint_architecture(cfg, checkpoint)
        model = MODELS.build(cfg.model)
        data = read_checkpoint(checkpoint)
        check_architecture(data.get('meta'), model, checkpoint)
        load_state_strictly(model, data['state_dict'], checkpoint)
        genotype = model.backbone.genotype
        model.export_meta = {'genotype': genotype.to_dict()}
        model.export_source = f'genotype {genotype}'
        return model.eval()
    if model_type != 'FixedSubnet':
        raise ExportError(
            f'{config}: model type is {model_type!r}; only SPOS subnet '
            f'configs (model type "FixedSubnet", e.g. configs/nas/spos/'
            f'spos_subnet_*.py) and DARTS evaluation configs (backbone '
            f'"DartsEvalNetwork") can be exported')
    cfg.model.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
    model = MODELS.build(cfg.model).eval()
    model.export_meta = {'fix_subnet': dict(model.fix_subnet)}
    model.export_source = f'subnet from {model.subnet_source}, ' \
        f'{len(model.fix_subnet)} choices'
    return model


def _trace(model: nn.Module, shape) -> bytes:
    """Traced logits module as bytes, checked against ``model``."""
    wrapper = _Logits(model).eval()
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, torch.zeros(1, 3, *shape))
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    data = buffer.getvalue()
    # check what was serialised (the exact bytes written), not the in-memory
    # trace, so a bad file is never written
    reloaded = torch.jit.load(io.BytesIO(data), map_location='cpu').eval()
    x = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = wrapper(x), reloaded(x)
    diff = (expected - got).abs().max().item()
    print(f'torchscript check: max abs difference {diff:.3g} on a random '
          f'input of shape {tuple(x.shape)}')
    if expected.shape != got.shape or not torch.allclose(
            expected, got, atol=1e-5):
        raise ExportError(
            f'the traced module does not reproduce the model (max abs '
            f'difference {diff:.3g}, shapes {tuple(expected.shape)} vs '
            f'{tuple(got.shape)}); nothing written')
    return data


def export_subnet(config: str,
                  checkpoint: str,
                  out: str,
                  torchscript: Optional[str] = None,
                  shape: Sequence[int] = (224, 224),
                  cfg_options: Optional[dict] = None) -> dict:
    """Write the subnet's clean checkpoint to ``out`` (see module doc).

    Returns:
        the checkpoint dict written to ``out``.
    """
    from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                                   atomic_write_bytes)

    model = build_fixed_subnet(config, checkpoint, cfg_options)
    state_dict = model.state_dict()
    bad = [k for k in state_dict
           if any(s in k for s in FORBIDDEN) or not k.startswith(MODEL_ROOTS)]
    if bad:
        raise ExportError(f'unclean keys in the fixed model: {bad[:10]}')
    result = {
        'state_dict': state_dict,
        'meta': dict(model.export_meta, config=config,
                     source_checkpoint=checkpoint),
    }
    # trace before writing anything, so a failed check leaves no output
    traced = _trace(model, tuple(shape)) if torchscript else None
    atomic_torch_save(result, out)
    print(f'wrote {len(state_dict)} tensors to {out} '
          f'({model.export_source})')
    if traced is not None:
        atomic_write_bytes(traced, torchscript)
        print(f'wrote TorchScript (input 1x3x{shape[0]}x{shape[1]} -> '
              f'logits) to {torchscript}')
    return result


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Export a found network (clean weights, TorchScript)')
    parser.add_argument('config', help='SPOS subnet config (FixedSubnet) or '
                        'DARTS evaluation config')
    parser.add_argument(
        'checkpoint', help='search result (best_subnet_weights.pth) or '
        'subnet checkpoint')
    parser.add_argument('--out', required=True, help='output .pth')
    parser.add_argument('--torchscript', help='also write a traced .pt')
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224],
                        metavar=('H', 'W'), help='trace input size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmrazor_lite.fileio.checkpoint_io import CheckpointError
    from mmrazor_lite.subnet import SubnetFileError
    from mmrazor_lite.subnet.architecture_meta import \
        ArchitectureMismatchError
    try:
        export_subnet(args.config, args.checkpoint, args.out,
                      args.torchscript, args.shape, args.cfg_options)
    except (ExportError, FileNotFoundError, CheckpointError,
            SubnetFileError, ArchitectureMismatchError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
