"""Export a found network: clean weights, and deployable files on request.

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
     'meta': {'fix_subnet': {module path: choice} (or 'genotype'),
              'preprocess': {'mean', 'std', 'to_rgb', 'input_size', ...},
              'config': CONFIG, 'source_checkpoint': CKPT}}

which ``torch.load(OUT, weights_only=True)`` reads and which loads strictly
into the same config's model built with ``model.fix_subnet`` set to that
subnet. Optionally, each a module ``x -> logits`` where ``x`` is the
normalised image batch (``meta.preprocess`` says how to make it: channels
swapped if ``to_rgb``, then ``(x - mean) / std``), carrying the same meta:

* ``--onnx OUT.onnx``: ONNX, opset 18, any batch size (needs the extra
  ``deploy``: onnx, onnxruntime, onnxscript); meta in its metadata;
* ``--torch-export OUT.pt2``: a ``torch.export`` program, any batch size
  (``torch.export.load(OUT).module()``); meta in its ``meta.json``;
* ``--torchscript OUT.pt``: a traced TorchScript module, batch 1 (TorchScript
  is deprecated in torch; prefer the two above); meta in its ``meta.json``.

Each is traced at ``--shape H W``, read back from the exact bytes to be
written and compared with the PyTorch model on a random input; if any
differs, nothing at all is written.

Usage::

    python tools/model_converters/export_subnet.py CONFIG CKPT --out OUT.pth \
        [--onnx OUT.onnx] [--torch-export OUT.pt2] [--torchscript OUT.pt] \
        [--shape H W] [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmrazor_lite.deploy import (ExportError, LogitsModule, onnx_bytes,
                                 preprocessing_meta, require_onnx_packages,
                                 torch_export_bytes, torchscript_bytes)
from mmrazor_lite.deploy.torch_formats import export_program

MODEL_ROOTS = ('backbone.', 'neck.', 'head.')
#: in a clean key these would mean a wrapper or an unfixed choice slipped in
FORBIDDEN = ('architecture.', 'module.', '_candidates')


def build_fixed_subnet(config: str, checkpoint: str, cfg_options=None):
    """Build the config's found network with ``checkpoint``'s weights.

    Args:
        config (str): A SPOS subnet config (``FixedSubnet``) or a DARTS
            evaluation config.
        checkpoint (str): The search result or subnet checkpoint.
        cfg_options (dict, optional): Config overrides, ``key -> value``.
            Defaults to None.

    Returns:
        nn.Module: The network in eval mode, with ``export_meta`` (its
        ``fix_subnet`` or ``genotype``) and ``export_source`` (a
        description) set.

    Raises:
        FileNotFoundError: If ``checkpoint`` does not exist.
        ExportError: If an override key is read by nothing, or the config
            is neither a SPOS subnet nor a DARTS evaluation config.
        CheckpointError: If the weights do not load strictly.
        ArchitectureMismatchError: If the checkpoint's genotype differs
            from the one the config sets.
    """
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401  (registers modules, safe loading)
    from mmrazor_lite.apis import load_config
    from mmrazor_lite.registry import MODELS

    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    # the same checks and data_root= / num_classes= options as training
    try:
        cfg = load_config(config, cfg_options)
    except KeyError as err:  # an --cfg-options key nothing would read
        raise ExportError(err.args[0]) from err
    # as the Runner does: the top-level data_preprocessor unless the model
    # names its own, so the exported meta.preprocess is what training used
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    model_type = str(cfg.model.get('type')).split('.')[-1]
    backbone_type = str(cfg.model.get('backbone',
                                      {}).get('type')).split('.')[-1]
    init_default_scope(cfg.get('default_scope', 'mmrazor_lite'))
    if backbone_type == 'DartsEvalNetwork':
        from mmrazor_lite.apis.trained_checkpoint import \
            use_checkpoint_architecture
        from mmrazor_lite.fileio import load_state_strictly
        from mmrazor_lite.structures.architecture_meta import \
            check_architecture

        # the cell is the checkpoint's meta.genotype unless set explicitly;
        # the file is read once
        data = use_checkpoint_architecture(cfg, checkpoint)
        model = MODELS.build(cfg.model)
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


def _deployable_files(model,
                      shape,
                      meta,
                      onnx=None,
                      torch_export=None,
                      torchscript=None) -> dict:
    """Make and check the bytes of each requested deployable format.

    Returns ``{path: (format name, bytes)}``.
    """
    module = LogitsModule(model).eval()
    files = {}
    if onnx or torch_export:
        program = export_program(module, shape)  # both formats start here
        if torch_export:
            files[torch_export] = ('torch.export program',
                                   torch_export_bytes(program, module, shape,
                                                      meta))
        if onnx:
            files[onnx] = ('ONNX', onnx_bytes(program, module, shape, meta))
    if torchscript:
        files[torchscript] = ('TorchScript',
                              torchscript_bytes(module, shape, meta))
    return files


def export_subnet(config: str,
                  checkpoint: str,
                  out: str,
                  torchscript: Optional[str] = None,
                  shape: Sequence[int] = (224, 224),
                  cfg_options: Optional[dict] = None,
                  onnx: Optional[str] = None,
                  torch_export: Optional[str] = None) -> dict:
    """Write the subnet's clean checkpoint and the deployable files asked.

    The checkpoint is described in the module docstring. Every file is
    made and checked before any is written, so a failed check leaves no
    output.

    Args:
        config (str): A SPOS subnet config (``FixedSubnet``) or a DARTS
            evaluation config.
        checkpoint (str): The search result (``best_subnet_weights.pth``)
            or subnet checkpoint.
        out (str): The output ``.pth`` file.
        torchscript (str, optional): Also write a traced TorchScript
            module (batch 1) to this ``.pt`` file. Defaults to None.
        shape (Sequence[int]): The input size ``(H, W)`` of the traced
            files, recorded in the meta. Defaults to ``(224, 224)``.
        cfg_options (dict, optional): Config overrides, ``key -> value``.
            Defaults to None.
        onnx (str, optional): Also write ONNX to this ``.onnx`` file
            (needs the extra ``deploy``). Defaults to None.
        torch_export (str, optional): Also write a ``torch.export``
            program to this ``.pt2`` file. Defaults to None.

    Returns:
        dict: The checkpoint dict written to ``out``, ``state_dict`` and
        ``meta``.

    Raises:
        ExportError: If two outputs name the same file, the model has
            unclean keys, a format's check fails or the config cannot be
            exported (see :func:`build_fixed_subnet`).
    """
    from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                                   atomic_write_bytes)

    outputs = [p for p in (out, onnx, torch_export, torchscript) if p]
    if len({osp.abspath(p) for p in outputs}) < len(outputs):
        raise ExportError(f'--out, --onnx, --torch-export and --torchscript '
                          f'must name different files; got {outputs}')
    if onnx:
        require_onnx_packages()  # before minutes of building and tracing
    shape = tuple(int(v) for v in shape)
    model = build_fixed_subnet(config, checkpoint, cfg_options)
    state_dict = model.state_dict()
    bad = [
        k for k in state_dict
        if any(s in k for s in FORBIDDEN) or not k.startswith(MODEL_ROOTS)
    ]
    if bad:
        raise ExportError(f'unclean keys in the fixed model: {bad[:10]}')
    meta = dict(
        model.export_meta,
        preprocess=preprocessing_meta(model, shape),
        config=config,
        source_checkpoint=checkpoint)
    # every file is made and checked before any is written, so a failed
    # check leaves no output
    files = _deployable_files(model, shape, meta, onnx, torch_export,
                              torchscript)
    result = {'state_dict': state_dict, 'meta': meta}
    atomic_torch_save(result, out)
    print(f'wrote {len(state_dict)} tensors to {out} '
          f'({model.export_source})')
    for path, (fmt, data) in files.items():
        atomic_write_bytes(data, path)
        batch = '1' if fmt == 'TorchScript' else 'N'
        print(f'wrote {fmt} (input {batch}x3x{shape[0]}x{shape[1]}, '
              f'normalised as meta.preprocess says -> logits) to {path}')
    pre = meta['preprocess']
    print(f'preprocessing (in every file\'s meta): to_rgb={pre["to_rgb"]}, '
          f'mean={pre["mean"]}, std={pre["std"]}')
    return result


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Export a found network (clean weights; ONNX, '
        'torch.export, TorchScript)')
    parser.add_argument(
        'config',
        help='SPOS subnet config (FixedSubnet) or '
        'DARTS evaluation config')
    parser.add_argument(
        'checkpoint',
        help='search result (best_subnet_weights.pth) or '
        'subnet checkpoint')
    parser.add_argument('--out', required=True, help='output .pth')
    parser.add_argument(
        '--onnx', help='also write ONNX (.onnx; needs the '
        'extra "deploy")')
    parser.add_argument(
        '--torch-export', help='also write a torch.export '
        'program (.pt2)')
    parser.add_argument(
        '--torchscript', help='also write a traced .pt '
        '(deprecated format)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[224, 224],
        metavar=('H', 'W'),
        help='input size of the traced '
        'files, recorded in the meta (default 224 224)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Export the network the command line names.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        int: 0 on success, 1 after printing the error to stderr.
    """
    args = parse_args(argv)
    from mmrazor_lite.fileio.checkpoint_io import CheckpointError
    from mmrazor_lite.structures import SubnetFileError
    from mmrazor_lite.structures.architecture_meta import \
        ArchitectureMismatchError
    try:
        export_subnet(
            args.config,
            args.checkpoint,
            args.out,
            args.torchscript,
            args.shape,
            args.cfg_options,
            onnx=args.onnx,
            torch_export=args.torch_export)
    except (ExportError, FileNotFoundError, CheckpointError, SubnetFileError,
            ArchitectureMismatchError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
