"""Random erasing, brightness and contrast: the rectangle and the formulas, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from telar.data.augment import (
    adjust_brightness,
    adjust_contrast,
    erase,
    random_brightness,
    random_contrast,
    random_erasing,
)


def test_erase_zeroes_exactly_the_given_rectangle_of_each_image():
    x = np.ones((3, 6, 7), np.float32)
    out = erase(x, top=[1, 0, 2], left=[2, 0, 6], height=[2, 6, 0], width=[3, 1, 1])
    expected = np.ones((3, 6, 7), np.float32)
    expected[0, 1:3, 2:5] = 0
    expected[1, :, 0] = 0  # image 2: height 0, nothing erased
    np.testing.assert_array_equal(out, expected)
    assert (x == 1).all()  # the input is not touched


def test_erase_writes_fill_values_in_row_major_order_over_the_channels():
    x = np.zeros((1, 2, 3, 3), np.float32)
    out = erase(x, [0], [1], [2], [2], fill=np.arange(1, 9, dtype=np.float32))
    np.testing.assert_array_equal(out[0, 0], [[0, 1, 2], [0, 3, 4], [0, 0, 0]])
    np.testing.assert_array_equal(out[0, 1], [[0, 5, 6], [0, 7, 8], [0, 0, 0]])


def zero_rectangle(image: np.ndarray) -> tuple[int, int] | None:
    """(height, width) of the zeros of ``image`` if they form one rectangle, else None."""
    zeros = image == 0
    rows, cols = np.flatnonzero(zeros.any(axis=1)), np.flatnonzero(zeros.any(axis=0))
    if not len(rows):
        return (0, 0)
    box = np.zeros_like(zeros)
    box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    return (len(rows), len(cols)) if np.array_equal(zeros, box) else None


def test_random_erasing_zeroes_one_rectangle_of_torchvisions_sizes_per_image():
    x = np.ones((300, 28, 28), np.float32)
    out = random_erasing(x, np.random.default_rng(0), p=1.0)
    sizes = np.array([zero_rectangle(image) for image in out])
    area, aspect = sizes[:, 0] * sizes[:, 1], sizes[:, 0] / sizes[:, 1]
    assert (area > 0).all()
    assert area.min() >= 0.02 * 784 * 0.6 and area.max() <= 0.33 * 784 * 1.3  # rounding
    assert aspect.min() >= 0.3 * 0.6 and aspect.max() <= 3.3 / 0.6
    assert aspect.min() < 0.6 and aspect.max() > 1.7 and len(set(area)) > 50


def test_random_erasing_erases_about_p_of_the_images_and_keeps_the_others():
    x = np.random.default_rng(1).random((400, 784)).astype(np.float32) + 0.5
    out = random_erasing(x, np.random.default_rng(2), p=0.25)
    erased = (out == 0).any(axis=1)
    kept = (out == x).all(axis=1)
    assert (erased ^ kept).all() and 60 < erased.sum() < 140
    np.testing.assert_array_equal(erased, np.random.default_rng(2).random(400) < 0.25)


def test_random_erasing_with_noise_fills_only_the_rectangle_with_values_in_0_1():
    x = np.full((50, 28, 28), 5.0, np.float32)
    out = random_erasing(x, np.random.default_rng(3), p=1.0, fill="noise")
    changed = out != 5
    assert all(zero_rectangle(~m) is not None for m in changed)  # one rectangle each
    assert (out[changed] >= 0).all() and (out[changed] < 1).all()
    assert len(np.unique(out[changed])) > 1000


def test_brightness_multiplies_by_the_factor_and_clips_to_0_1():
    x = np.array([[0.2, 0.6], [0.5, 1.0]], np.float32)
    out = adjust_brightness(x, np.array([2.0, 0.5]))
    np.testing.assert_allclose(out, [[0.4, 1.0], [0.25, 0.5]], rtol=1e-6)
    assert out.dtype == np.float32


def test_contrast_scales_about_each_images_mean_and_clips_to_0_1():
    x = np.array([[0.2, 0.6], [0.1, 0.9]], np.float32)  # means 0.4 and 0.5
    out = adjust_contrast(x, np.array([0.5, 2.0]))
    # 0.4 + 0.5 (x - 0.4);  0.5 + 2 (x - 0.5) = -0.3, 1.3 -> clipped
    np.testing.assert_allclose(out, [[0.3, 0.5], [0.0, 1.0]], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("random_op, adjust", [(random_brightness, adjust_brightness),
                                               (random_contrast, adjust_contrast)])
def test_jitter_draws_one_factor_per_image_within_one_plus_or_minus_strength(random_op, adjust):
    x = np.random.default_rng(4).random((64, 1, 28, 28)).astype(np.float32)
    out = random_op(x, np.random.default_rng(5), 0.3)
    factors = np.random.default_rng(5).uniform(0.7, 1.3, 64)
    np.testing.assert_array_equal(out, adjust(x, factors))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
