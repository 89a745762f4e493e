"""A dilation-2 stride-1 convolution as an undilated one on the 2x2
polyphase components of its input.

With dilation 2, every tap of an output pixel at row ``2i + a`` reads a row
of the same parity ``a`` (likewise for columns), so the output's component
``(a, b)`` (rows ``a::2``, columns ``b::2``) is the *undilated* conv, with
half the padding, of the input's component ``(a, b)``: the same products
summed in the same order, so the same values. The four components run as one
conv with 4x the batch; on CPU oneDNN runs that conv on its depthwise
kernels, and the dilated one's backward on a generic kernel or, when the
dilated 5x5 is wider than the map (8x8), an im2col GEMM. On the search
cell's shapes, conversions counted, the components are 1.1-3.2x faster,
except the 5x5 at 32x32 (1.2x slower alone; in the cell the 3x3 and 5x5
convs of a state share one split). Measured: pcdarts_cpu_layouts.py,
docs/benchmarks.md.

Only for even heights and widths: an odd size has components of different
sizes. Tensors keep the channels-last memory the depthwise convs run in.
"""
import torch
import torch.nn as nn


def polyphase_applies(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    """Whether ``conv`` on ``x`` is a dilation-2 stride-1 conv with
    size-keeping padding on an even-sized input."""
    same_size = all(p == k - 1 for p, k in zip(conv.padding, conv.kernel_size))
    return (conv.dilation == (2, 2) and conv.stride == (1, 1) and same_size
            and x.shape[-2] % 2 == 0 and x.shape[-1] % 2 == 0)


def to_polyphase(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (4N, C, H/2, W/2), component-major
    (``out[(2a + b) * N + n] = x[n, :, a::2, b::2]``), channels-last."""
    n, c, h, w = x.shape
    parts = x.permute(0, 2, 3, 1).reshape(n, h // 2, 2, w // 2, 2, c)
    parts = parts.permute(2, 4, 0, 1, 3, 5)  # a, b, n, h/2, w/2, c
    return parts.reshape(4 * n, h // 2, w // 2, c).permute(0, 3, 1, 2)


def from_polyphase(y: torch.Tensor, batch: int) -> torch.Tensor:
    """The inverse of :func:`to_polyphase`, as contiguous NCHW."""
    _, c, h, w = y.shape
    parts = y.permute(0, 2, 3, 1).reshape(2, 2, batch, h, w, c)
    parts = parts.permute(2, 5, 3, 0, 4, 1)  # n, c, h/2, a, w/2, b
    return parts.reshape(batch, c, 2 * h, 2 * w)


def undilated(conv: nn.Conv2d) -> dict:
    """The conv arguments that run ``conv`` on the components."""
    return dict(
        stride=1,
        dilation=1,
        padding=tuple(p // 2 for p in conv.padding),
        groups=conv.groups)
