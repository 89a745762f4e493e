import pytest
import torch

from mmrazor_lite.ops import ShuffleBlock, ShuffleXception, channel_shuffle


def _blocks(in_c, out_c, stride):
    yield ShuffleBlock(in_c, out_c, kernel_size=3, stride=stride)
    yield ShuffleBlock(in_c, out_c, kernel_size=5, stride=stride)
    yield ShuffleBlock(in_c, out_c, kernel_size=7, stride=stride)
    yield ShuffleXception(in_c, out_c, stride=stride)


@pytest.mark.parametrize('stride,in_c,out_c,hw,out_hw', [(1, 32, 32, 14, 14),
                                                         (2, 16, 32, 14, 7),
                                                         (2, 24, 64, 15, 8)])
def test_block_shapes(stride, in_c, out_c, hw, out_hw):
    x = torch.randn(2, in_c, hw, hw)
    for block in _blocks(in_c, out_c, stride):
        assert block(x).shape == (2, out_c, out_hw, out_hw), block


def test_stride1_passes_half_of_the_input_through():
    torch.manual_seed(0)
    block = ShuffleBlock(8, 8, kernel_size=3, stride=1).eval()
    x = torch.randn(1, 8, 6, 6)
    out = block(x)
    # after the 2-group shuffle, even output channels are the passed half
    assert torch.equal(out[:, 0::2], x[:, :4])


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    with pytest.raises(ValueError, match='7 channels'):
        channel_shuffle(torch.zeros(1, 7, 1, 1), 2)


def test_bad_widths_are_rejected():
    with pytest.raises(ValueError, match='in_channels=16 != out_channels=32'):
        ShuffleBlock(16, 32, stride=1)
    with pytest.raises(ValueError, match='stride must be 1 or 2'):
        ShuffleXception(16, 16, stride=3)


def test_non_affine_bn_has_no_bn_parameters():
    block = ShuffleBlock(
        16, 32, stride=2, norm_cfg=dict(type='BN', affine=False))
    bns = [m for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(bn.weight is None for bn in bns)
