"""TorchvisionColorJitter: hue jitter that works on numpy 2, BGR aware."""
import numpy as np
import pytest
import torch
from torchvision.transforms import ColorJitter

import mmrazor_lite  # noqa: F401
from mmrazor_lite.registry import TRANSFORMS


def test_matches_torchvision_on_the_rgb_image():
    rng = np.random.RandomState(0)
    bgr = rng.randint(0, 256, (12, 10, 3), dtype=np.uint8)
    jitter = TRANSFORMS.build(
        dict(
            type='TorchvisionColorJitter',
            brightness=0.4,
            contrast=0.4,
            saturation=0.4,
            hue=0.2))
    torch.manual_seed(3)
    out = jitter(dict(img=bgr.copy()))['img']
    torch.manual_seed(3)
    rgb = torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1]))
    expected = ColorJitter(0.4, 0.4, 0.4, 0.2)(rgb.permute(2, 0, 1))
    assert out.dtype == np.uint8 and out.shape == bgr.shape
    np.testing.assert_array_equal(out[..., ::-1],
                                  expected.permute(1, 2, 0).numpy())
    assert not np.array_equal(out, bgr)


def test_hue_only_keeps_grey_and_rejects_bad_input():
    grey = np.full((4, 4, 3), 90, np.uint8)
    jitter = TRANSFORMS.build(dict(type='TorchvisionColorJitter', hue=0.5))
    for seed in range(5):  # negative and positive shifts: no overflow
        torch.manual_seed(seed)
        np.testing.assert_array_equal(
            jitter(dict(img=grey.copy()))['img'], grey)
    with pytest.raises(ValueError, match='uint8'):
        jitter(dict(img=grey.astype(np.float32)))
    with pytest.raises(ValueError, match='channel_order'):
        TRANSFORMS.build(
            dict(type='TorchvisionColorJitter', channel_order='hsv'))
