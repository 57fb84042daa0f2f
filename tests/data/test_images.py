"""Image operations: resizing against PyTorch's antialiased bilinear filter and PIL's, hue
against Python's ``colorsys``, the centre crop's rounding and padding."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from telar.data import images as ops


@pytest.mark.parametrize("size", [(14, 14), (56, 40), (20, 33), (28, 28)])
def test_resize_matches_pytorchs_antialiased_bilinear_interpolation(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 28, 28))
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode="bilinear",
                                             antialias=True, align_corners=False).numpy()
    np.testing.assert_allclose(ops.resize(x, size), theirs, atol=1e-6)


def test_resized_size_keeps_the_aspect_ratio_for_one_int_as_torchvision():
    assert ops.resized_size(28, 56, 14, None) == (14, 28)
    assert ops.resized_size(60, 30, 10, None) == (20, 10)
    assert ops.resized_size(28, 56, 14, 20) == (10, 20)
    assert ops.resized_size(28, 56, (5, 7), None) == (5, 7)


def test_center_crop_takes_the_middle_and_pads_a_smaller_image_with_zeros():
    x = np.arange(25.0).reshape(1, 5, 5)
    np.testing.assert_array_equal(ops.center_crop(x, (3, 3)), x[:, 1:4, 1:4])
    padded = ops.center_crop(np.ones((1, 2, 2)), (4, 4))
    assert padded.shape == (1, 4, 4) and padded.sum() == 4 and padded[0, 1:3, 1:3].all()


@pytest.mark.parametrize("shift", [0.0, 0.1, -0.3, 0.5])
def test_adjust_hue_turns_the_hue_as_colorsys_does(shift):
    rgb = np.random.default_rng(1).random((3, 4, 5))
    out = ops.adjust_hue(rgb, shift)
    for i, j in [(0, 0), (1, 3), (3, 4)]:
        h, s, v = colorsys.rgb_to_hsv(*rgb[:, i, j])
        np.testing.assert_allclose(out[:, i, j], colorsys.hsv_to_rgb((h + shift) % 1, s, v),
                                   atol=1e-12)
    grey = np.full((1, 2, 2), 0.3)
    assert ops.adjust_hue(grey, shift) is grey and ops.adjust_saturation(grey, 2.0) is grey
