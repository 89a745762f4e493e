"""Several same-shaped DARTS ops, each with its own parameters, as one op.

The edges that leave one state of a DARTS / PC-DARTS cell all take the same
input, so the candidates of one kind on those edges (one module per edge)
can run as one wider op: one grouped convolution over the edges' channels
stacked edge-major (block ``e`` = edge ``e``), one batch norm over all of
them. Parameters and buffers stay in their own modules, so state dicts and
checkpoints do not change: weights are concatenated inside the call (their
gradients flow back through the concatenation) and BN running statistics
are updated on concatenated buffers and written back.

Per output channel the arithmetic is that of the module run alone (a
grouped conv computes each group on its own; BN normalises each channel on
its own), so the values are those of the separate modules.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .polyphase import (from_polyphase, polyphase_applies, to_polyphase,
                        undilated)


def _cat_param(modules: Sequence[nn.Module], name: str):
    first = getattr(modules[0], name)
    if first is None:
        return None
    return torch.cat([getattr(m, name) for m in modules])


def stacked_conv(x: torch.Tensor,
                 convs: Sequence[nn.Conv2d],
                 shared_input: bool = False,
                 channels_last: bool = False) -> torch.Tensor:
    """``cat([conv_e(x_e)], 1)`` as one convolution.

    Args:
        x: the inputs stacked edge-major (``N, E * C_in, H, W``), or with
            ``shared_input`` one input (``N, C_in, H, W``) that every conv
            takes (only for ``groups=1`` convs: their weights then stack
            along the output channels of one dense conv).
        convs: ``E`` convs of the same configuration.
        channels_last: run the conv on ``x`` in channels-last memory
            (copied if it is not) and return channels-last (see
            :func:`cpu_layouts`).
    """
    conv = convs[0]
    if shared_input and conv.groups != 1:
        raise ValueError('stacked_conv: a shared input needs groups=1 convs')
    groups = conv.groups if shared_input else conv.groups * len(convs)
    stride, padding, dilation = conv.stride, conv.padding, conv.dilation
    if stride == dilation and stride != (1, 1) and all(
            p % s == 0 for p, s in zip(padding, stride)):
        # Every tap of a dilation-s stride-s conv lands on the subgrid
        # x[::s, ::s]: the same products, taps in the same order, as an
        # undilated stride-1 conv there, whose backward is many times
        # faster (dil_conv on the stride-2 edges of a reduction cell).
        x = x[:, :, ::stride[0], ::stride[1]]
        padding = tuple(p // s for p, s in zip(padding, stride))
        stride = dilation = (1, 1)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    out = F.conv2d(x, _cat_param(convs, 'weight'), _cat_param(convs, 'bias'),
                   stride, padding, dilation, groups)
    return out


def cpu_layouts(x: torch.Tensor) -> bool:
    """Whether the ops of the fused cell on ``x`` take the CPU layouts:
    depthwise convs and pools channels-last, pointwise convs as a batched
    matmul, BNs on NCHW. On CPU, where oneDNN's depthwise convs are
    1.1-3.2x faster than on NCHW with few channels (the 5x5 ones 2-3x),
    and the matmul 1.2-2.5x faster than a grouped 1x1 conv
    (pcdarts_cpu_layouts.py, docs/benchmarks.md). The forward values
    are the same up to float rounding (each output sums the same
    products); weight gradients sum over the batch in another order. GPUs
    keep NCHW grouped convs (not measured)."""
    return x.device.type == 'cpu'


def _stackable_bns(bns: Sequence[nn.BatchNorm2d]) -> bool:
    first = bns[0]
    return all(
        type(bn) is type(first) and bn.eps == first.eps and bn.momentum ==
        first.momentum and bn.affine == first.affine and bn.training ==
        first.training and bn.track_running_stats == first.track_running_stats
        for bn in bns) and first.momentum is not None


def stacked_batch_norm(x: torch.Tensor,
                       bns: Sequence[nn.BatchNorm2d]) -> torch.Tensor:
    """``cat([bn_e(x_e)], 1)`` for edge-major stacked ``x``, as one call.

    Exactly what each ``bn_e.forward`` does, running statistics and
    ``num_batches_tracked`` included: training uses the batch statistics
    and updates each BN's buffers; eval uses each BN's own buffers. BNs
    with ``momentum=None`` (cumulative average) run one by one.
    """
    if not _stackable_bns(bns):
        chunks = x.chunk(len(bns), dim=1)
        return torch.cat([bn(c) for bn, c in zip(bns, chunks)], dim=1)
    first = bns[0]
    track = first.track_running_stats and first.running_mean is not None
    if first.training and track:
        for bn in bns:
            bn.num_batches_tracked.add_(1)
    mean = _cat_param(bns, 'running_mean') if track else None
    var = _cat_param(bns, 'running_var') if track else None
    out = F.batch_norm(x, mean, var, _cat_param(bns, 'weight'),
                       _cat_param(bns, 'bias'), first.training or not track,
                       first.momentum, first.eps)
    if first.training and track:
        # F.batch_norm updated the concatenated copies in place
        with torch.no_grad():
            for bn, m, v in zip(bns, mean.chunk(len(bns)),
                                var.chunk(len(bns))):
                bn.running_mean.copy_(m)
                bn.running_var.copy_(v)
    return out


def batch_norm_shared_output(x: torch.Tensor, bns: Sequence[nn.BatchNorm2d]):
    """``bn_e(x)`` for every ``e`` when they are all one tensor, else None.

    In training mode a BN without affine parameters normalises by the
    batch statistics only, so every BN of the same input gives the same
    output: it is computed once (and backpropagated once); the other BNs
    still run their forward, without autograd, to update their running
    statistics exactly as before. Eval mode (each BN's own statistics) or
    affine BNs: None, the caller runs them one by one.
    """
    if not _stackable_bns(bns) or bns[0].affine or not bns[0].training:
        return None
    out = bns[0](x)
    with torch.no_grad():
        for bn in bns[1:]:
            bn(x)
    return out


def stacked_pointwise(x: torch.Tensor,
                      convs: Sequence[nn.Conv2d]) -> torch.Tensor:
    """``cat([conv_e(x_e)], 1)`` for ``E`` 1x1 stride-1 dense convs on
    edge-major stacked NCHW ``x`` (``N, E * C_in, H, W``), as one batched
    matmul: on CPU 1.2-2.5x faster than the grouped conv with the few
    channels per group of a search cell, and its weight gradient as
    accurate as that conv's on NCHW (the grouped conv on channels-last
    memory is no faster on these shapes and up to 4-7x less accurate;
    pcdarts_cpu_layouts.py, docs/benchmarks.md)."""
    conv = convs[0]
    if conv.kernel_size != (1, 1) or conv.stride != (1, 1) or \
            conv.padding != (0, 0) or conv.groups != 1:
        raise ValueError(f'stacked_pointwise: 1x1 stride-1 dense convs '
                         f'only, got {conv}')
    n, _, h, w = x.shape
    edges = len(convs)
    weight = _cat_param(convs, 'weight').view(edges, conv.out_channels,
                                              conv.in_channels)
    out = torch.matmul(weight, x.reshape(n, edges, conv.in_channels, h * w))
    out = out.view(n, edges * conv.out_channels, h, w)
    bias = _cat_param(convs, 'bias')
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def stacked_dil_conv(x: torch.Tensor,
                     ops: Sequence[nn.Module],
                     phases: Optional[torch.Tensor] = None):
    """:class:`DilConv` after its ReLU (``forward_after_relu``), stacked:
    ``x`` holds one ReLU'd input per op, edge-major. Returns NCHW.

    On CPU (:func:`cpu_layouts`) the depthwise conv runs
    channels-last (a dilation-2 stride-1 one on the polyphase components
    of ``x``, see :mod:`.polyphase`; ``phases``: those of ``x`` when the
    caller has them) and the pointwise one as a batched matmul
    (:func:`stacked_pointwise`) on NCHW, where BN is fastest too."""
    cpu = cpu_layouts(x)
    depthwise = [op.depthwise for op in ops]
    if cpu and polyphase_applies(depthwise[0], x):
        if phases is None:
            phases = to_polyphase(x)
        args = undilated(depthwise[0])
        args['groups'] *= len(depthwise)
        out = F.conv2d(phases, _cat_param(depthwise, 'weight'),
                       _cat_param(depthwise, 'bias'), **args)
        out = from_polyphase(out, x.shape[0])
    else:
        out = stacked_conv(x, depthwise, channels_last=cpu).contiguous()
    if cpu:
        out = stacked_pointwise(out, [op.pointwise for op in ops])
    else:
        out = stacked_conv(out, [op.pointwise for op in ops])
    return stacked_batch_norm(out, [op.bn for op in ops])


def stacked_sep_conv(x: torch.Tensor, ops: Sequence[nn.Module]):
    """:class:`SepConv` after its first ReLU, stacked like
    :func:`stacked_dil_conv`."""
    out = stacked_dil_conv(x, [op.conv1 for op in ops])
    if cpu_layouts(out):
        # the inner ReLU after the copy to channels-last, so that its
        # backward sees one memory format (mixed formats are ~4x slower)
        out = out.contiguous(memory_format=torch.channels_last)
    out = F.relu(out, inplace=ops[0].conv2.relu.inplace)
    return stacked_dil_conv(out, [op.conv2 for op in ops])


def stacked_factorized_reduce(x: torch.Tensor, ops: Sequence[nn.Module]):
    """:class:`FactorizedReduce` after its ReLU on one shared input ``x``;
    the outputs stacked edge-major (``N, E * C_out, H/2, W/2``)."""
    shifted = F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
    one = stacked_conv(x, [op.conv_1 for op in ops], shared_input=True)
    two = stacked_conv(shifted, [op.conv_2 for op in ops], shared_input=True)
    n, _, h, w = one.shape
    edges = len(ops)
    # per edge [conv_1 half, conv_2 half], as FactorizedReduce concatenates
    out = torch.cat(
        [one.view(n, edges, -1, h, w),
         two.view(n, edges, -1, h, w)], dim=2)
    return stacked_batch_norm(out.view(n, -1, h, w), [op.bn for op in ops])
