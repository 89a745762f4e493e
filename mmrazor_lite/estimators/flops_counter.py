"""FLOPs and parameter counting with fvcore, under a stated convention.

One FLOP here is one multiply-add (fvcore's unit). Conventions:

- ``'fvcore'`` (default): fvcore's default handles, i.e. convolutions,
  batch norm (eval mode: one op per element), linear layers and adaptive
  average pooling; element-wise activations, additions, concatenation and
  channel shuffles count zero.
- ``'conv_linear'``: convolutions and linear layers only, the official SPOS
  code's convention (conv multiply-adds plus the classifier's weights).
"""
import warnings
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn

CONVENTIONS = {
    'fvcore':
    'multiply-adds counted by fvcore: conv, batch_norm (eval), '
    'linear, adaptive_avg_pool2d; activations, additions, concat and '
    'channel shuffle count 0',
    'conv_linear':
    'multiply-adds of conv and linear layers only (the '
    'official SPOS convention); BN, activations and pooling count 0',
}

# fvcore op names whose cost 'conv_linear' drops.
_NON_CONV_LINEAR_OPS = ('aten::batch_norm', 'aten::adaptive_avg_pool2d',
                        'aten::upsample_nearest2d',
                        'aten::upsample_bilinear2d', 'aten::group_norm',
                        'aten::layer_norm', 'aten::instance_norm',
                        'aten::einsum', 'aten::bmm', 'aten::matmul')


def _count_nothing(inputs, outputs) -> int:
    return 0


class _TensorForward(nn.Module):
    """Call ``model(x)``, or ``model(x, mode='tensor')`` for mmengine models.

    Args:
        model (nn.Module): The model whose forward is counted.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        try:
            return self.model(x, mode='tensor')
        except TypeError:
            return self.model(x)


def _flop_count_analysis():
    """fvcore's ``FlopCountAnalysis``, imported without its warning.

    Importing ``fvcore.nn`` scripts its focal loss with ``torch.jit.script``,
    which today's torch reports as deprecated on every command; we never
    call it. Only that warning, and only during this import, is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore',
            category=FutureWarning,
            message=r'`torch\.jit\.script` is deprecated')
        from fvcore.nn import FlopCountAnalysis
    return FlopCountAnalysis


def check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f'unknown FLOPs convention {convention!r}; choose '
                         f'one of {sorted(CONVENTIONS)}')


def count_flops_by_module(model: nn.Module,
                          input_shape: Sequence[int] = (1, 3, 224, 224),
                          convention: str = 'fvcore') -> Dict[str, int]:
    """FLOPs per module path of ``model`` ('' = total), traced in eval mode."""
    FlopCountAnalysis = _flop_count_analysis()
    check_convention(convention)
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        inputs = torch.zeros(*input_shape, device=device)
        analysis = FlopCountAnalysis(_TensorForward(model), (inputs, ))
        if convention == 'conv_linear':
            # a None handle only silences fvcore's warning for ops it has no
            # handle for; replacing the handle is what drops the count
            analysis.set_op_handle(
                **{op: _count_nothing
                   for op in _NON_CONV_LINEAR_OPS})
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        analysis.tracer_warnings('none')
        with torch.no_grad():
            by_module = analysis.by_module()
    finally:
        model.train(was_training)
    # strip the wrapper's 'model.' prefix
    out = {}
    for name, value in by_module.items():
        if name == '':
            out[''] = int(value)
        elif name.startswith('model'):
            out[name[len('model.'):] if name != 'model' else ''] = int(value)
    return out


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_flops_params(model: nn.Module,
                       input_shape: Sequence[int] = (1, 3, 224, 224),
                       convention: str = 'fvcore') -> Tuple[int, int]:
    """(FLOPs, params) of ``model`` as it stands (the active path)."""
    flops = count_flops_by_module(model, input_shape, convention)['']
    return flops, count_params(model)
