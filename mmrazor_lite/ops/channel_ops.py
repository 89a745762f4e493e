"""Channel rearrangements shared by blocks of several search spaces."""
import torch


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of ``groups`` equal groups.

    ``x`` (N, C, H, W) is viewed as ``groups`` blocks of ``C / groups``
    channels and channel ``j`` of block ``g`` moves to ``j * groups + g``
    (ShuffleNet's shuffle; PC-DARTS mixes processed and bypassed channels
    with it).
    """
    batch, channels, height, width = x.shape
    if channels % groups:
        raise ValueError(f'channel_shuffle: {channels} channels cannot be '
                         f'split into {groups} groups')
    x = x.view(batch, groups, channels // groups, height, width)
    return x.transpose(1, 2).reshape(batch, channels, height, width)
