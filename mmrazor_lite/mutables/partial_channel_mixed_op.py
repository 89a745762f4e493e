"""The mixed op of DARTS, with the partial channels of PC-DARTS.

``k = 1`` is DARTS: every channel goes through every candidate and the edge
output is ``sum_i w_i * op_i(x)``. ``k > 1`` is PC-DARTS: only the first
``C/k`` channels go through the candidates (built for ``C/k`` channels), the
rest bypass them, and the two parts are mixed back by a channel shuffle
(or shift) so that the next edge samples different channels. Activations of
the candidates shrink ~k times, which is the point of PC-DARTS.

The op weights ``w`` (a softmax row of alpha) are a forward argument: the
architecture parameters belong to whoever shares them between cells (a
mutator or the algorithm), never to this op.
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor_lite.ops.channel_ops import channel_shuffle
from mmrazor_lite.ops.darts_ops import DARTS_PRIMITIVES, Zero, build_darts_op
from mmrazor_lite.registry import MODELS

CHANNEL_MIXES = ('shuffle', 'shift')


@MODELS.register_module()
class PartialChannelMixedOp(nn.Module):
    """Weighted sum of candidate ops on the first ``C/k`` channels.

    Candidates live in ``self._candidates`` (an ``nn.ModuleDict`` keyed by
    primitive name, in ``primitives`` order: row ``i`` of the weights goes
    to the ``i``-th candidate); :meth:`candidate` hands one out.

    Args:
        channels (int): Channels of the edge input and output.
        stride (int): 2 on the input edges of a reduction cell, else 1.
            Defaults to 1.
        k (int): The partial-channel ratio, where 1 is DARTS. It must divide
            ``channels``. Defaults to 1.
        primitives (Sequence[str]): Candidate names (see
            ``build_darts_op``); they must be unique. Defaults to
            ``DARTS_PRIMITIVES``.
        channel_mix (str): How the processed and bypassed channels are
            mixed when ``k > 1``: ``'shuffle'`` (a channel shuffle with
            ``k`` groups, the paper's choice) or ``'shift'`` (the channels
            are rotated by ``C/k``, so the processed part moves to the end).
            Defaults to ``'shuffle'``.
        affine (bool): Whether the BNs in the candidates have a learnable
            affine; the search runs without one. Defaults to False.

    Raises:
        ValueError: If ``k`` does not divide ``channels``, ``channel_mix``
            is unknown, or ``primitives`` is empty or holds a name twice.
    """

    def __init__(self,
                 channels: int,
                 stride: int = 1,
                 k: int = 1,
                 primitives: Sequence[str] = DARTS_PRIMITIVES,
                 channel_mix: str = 'shuffle',
                 affine: bool = False):
        super().__init__()
        if k < 1 or channels % k:
            raise ValueError(f'PartialChannelMixedOp: k must be a positive '
                             f'divisor of channels={channels}, got k={k}')
        if channel_mix not in CHANNEL_MIXES:
            raise ValueError(f'channel_mix must be one of {CHANNEL_MIXES}, '
                             f'got {channel_mix!r}')
        if not primitives:
            raise ValueError('PartialChannelMixedOp needs at least one '
                             'primitive')
        if len(set(primitives)) != len(primitives):
            raise ValueError(f'primitives must be unique, got '
                             f'{list(primitives)}')
        self.channels = channels
        self.stride = stride
        self.k = k
        self.channel_mix = channel_mix
        self._candidates = nn.ModuleDict({
            name:
            build_darts_op(name, channels // k, stride, affine, pool_bn=True)
            for name in primitives
        })
        # ceil_mode: an odd H/W gives ceil(H/2), like every stride-2 candidate.
        self.bypass_pool = (
            nn.MaxPool2d(2, 2, ceil_mode=True)
            if k > 1 and stride == 2 else None)

    @property
    def choices(self):
        """The candidate names, in weight-row order."""
        return list(self._candidates.keys())

    def candidate(self, name: str) -> nn.Module:
        """Return the candidate op called ``name``.

        Args:
            name (str): One of :attr:`choices`.

        Returns:
            nn.Module: The candidate op.

        Raises:
            KeyError: If there is no candidate ``name``.
        """
        if name not in self._candidates:
            raise KeyError(f'{type(self).__name__} has no candidate '
                           f'{name!r}; its candidates are {self.choices}')
        return self._candidates[name]

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Mix the candidates' outputs on ``x`` by ``weights``.

        Args:
            x (torch.Tensor): The edge input, of shape (N, C, H, W).
            weights (torch.Tensor): The op weights, of shape (n_ops,): one
                softmax row of alpha, in :attr:`choices` order.

        Returns:
            torch.Tensor: The edge output, of shape (N, C, H', W'), where
            ``H'`` and ``W'`` are halved (rounded up) at stride 2.

        Raises:
            ValueError: If ``x`` does not have ``channels`` channels or
                ``weights`` does not have one entry per candidate.
        """
        if x.shape[1] != self.channels:
            raise ValueError(f'{type(self).__name__} was built for '
                             f'{self.channels} channels, got input of shape '
                             f'{tuple(x.shape)}')
        if weights.shape != (len(self._candidates), ):
            raise ValueError(
                f'weights must have shape ({len(self._candidates)},) for '
                f'candidates {self.choices}, got {tuple(weights.shape)}')
        part = self.channels // self.k
        processed = x[:, :part] if self.k > 1 else x
        # The reference's sum 0 + w0*op0(x) + w1*op1(x) + ..., in its order,
        # with two memory savings that change no value:
        # - no term for ``none``: w * 0 adds exactly nothing and its
        #   gradient w.r.t. w is exactly 0, but autograd would keep a zero
        #   tensor of the edge's size alive for it;
        # - one ReLU for the candidates that start with one (sep / dil
        #   convs, factorized reduce): each would otherwise keep its own
        #   copy of relu(x) for backward (3 needless copies per edge).
        out = None
        relu_x = None
        for w, op in zip(weights, self._candidates.values()):
            if isinstance(op, Zero):
                continue
            if hasattr(op, 'forward_after_relu'):
                if relu_x is None:
                    relu_x = F.relu(processed)
                term = w * op.forward_after_relu(relu_x)
            else:
                term = w * op(processed)
            out = term if out is None else out + term
        if out is None:  # only ``none``: its zeros, of the right shape
            out = next(iter(self._candidates.values()))(processed)
        if self.k == 1:
            return out
        return self.mix_back(out, self.bypass(x))

    def bypass(self, x: torch.Tensor) -> torch.Tensor:
        """Return the channels of ``x`` that skip the candidates.

        They are max-pooled when the edge has stride 2. This is meant for
        ``k > 1`` only.

        Args:
            x (torch.Tensor): The edge input, of shape (N, C, H, W).

        Returns:
            torch.Tensor: The last ``C - C/k`` channels of ``x``, pooled
            when the edge has stride 2.
        """
        bypass = x[:, self.channels // self.k:]
        if self.bypass_pool is not None:
            bypass = self.bypass_pool(bypass)
        return bypass

    def mix_back(self, out: torch.Tensor,
                 bypass: torch.Tensor) -> torch.Tensor:
        """Join the candidates' mix and the bypass channels (``k > 1``).

        They are joined by a channel shuffle or shift, as ``channel_mix``
        says.

        Args:
            out (torch.Tensor): The candidates' mix, of shape
                (N, C/k, H, W).
            bypass (torch.Tensor): The bypass channels (see
                :meth:`bypass`), of shape (N, C - C/k, H, W).

        Returns:
            torch.Tensor: The edge output, of shape (N, C, H, W).
        """
        part = self.channels // self.k
        out = torch.cat([out, bypass], dim=1)
        if self.channel_mix == 'shuffle':
            return channel_shuffle(out, self.k)
        return torch.cat([out[:, part:], out[:, :part]], dim=1)

    def mix_back_edges(self, out: torch.Tensor,
                       bypass: torch.Tensor) -> torch.Tensor:
        """Apply :meth:`mix_back` to ``E`` edges built like this one at once.

        The result is made in one copy, with no concatenation before the
        shuffle, and holds the same values as ``mix_back`` edge by edge.

        Args:
            out (torch.Tensor): The edges' candidate mixes, of shape
                (N, E, C/k, H, W).
            bypass (torch.Tensor): The channels that all the edges bypass,
                of shape (N, C - C/k, H, W).

        Returns:
            torch.Tensor: The edge outputs, of shape (N, E, C, H, W).
        """
        n, edges, part, h, w = out.shape
        rest = bypass.shape[1]
        if self.channel_mix == 'shift':  # [bypass, out] per edge
            return torch.cat(
                [bypass.unsqueeze(1).expand(n, edges, rest, h, w), out], dim=2)
        # shuffle: channel j of group g goes to j * k + g; group 0 is out,
        # groups 1 .. k-1 the bypass
        groups = bypass.view(n, 1, self.k - 1, part, h, w).transpose(2, 3)
        mixed = torch.cat([
            out.unsqueeze(3),
            groups.expand(n, edges, part, self.k - 1, h, w)
        ],
                          dim=3)
        return mixed.view(n, edges, part * self.k, h, w)

    def extra_repr(self) -> str:
        """Show the edge's configuration in the module's repr."""
        return (f'channels={self.channels}, stride={self.stride}, k={self.k}, '
                f'channel_mix={self.channel_mix!r}')
