"""Translation, flips and rotations: exact results on small hand-made images."""

from __future__ import annotations

import numpy as np
import pytest

from telar.data.augment import (
    hflip,
    random_flip,
    random_rotation,
    random_shift,
    rotate,
    translate,
)


def roll_with_zero_fill(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (…, h, w) moved down ``dy`` and right ``dx``, 0 where nothing lands: by slices."""
    h, w = image.shape[-2:]
    out = np.zeros_like(image)
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def test_translate_moves_each_image_by_its_own_offset_and_fills_zeros():
    images = np.random.default_rng(0).random((4, 2, 5, 6)).astype(np.float32) + 1
    dy, dx = np.array([0, 1, -2, 3]), np.array([0, -1, 2, 0])
    out = translate(images, dy, dx)
    for i in range(4):
        np.testing.assert_array_equal(out[i], roll_with_zero_fill(images[i], dy[i], dx[i]))
    assert out[1, :, 0].max() == 0 and out[1, :, :, -1].max() == 0  # the uncovered border


def test_random_shift_draws_top_then_left_and_moves_by_k_minus_each():
    x = np.random.default_rng(1).random((30, 784)).astype(np.float32)
    out = random_shift(x, np.random.default_rng(7), max_shift=3)
    draws = np.random.default_rng(7)
    top, left = draws.integers(0, 7, 30), draws.integers(0, 7, 30)
    images = x.reshape(30, 28, 28)
    for i in range(30):
        expected = roll_with_zero_fill(images[i], 3 - top[i], 3 - left[i])
        np.testing.assert_array_equal(out[i].reshape(28, 28), expected)


def test_shift_moves_each_image_by_at_most_k_pixels_and_keeps_its_values():
    rng = np.random.default_rng(0)
    images = np.zeros((50, 28, 28), np.float32)
    images[:, 10:18, 12:16] = rng.random((50, 8, 4)) + 1  # an object well inside the frame
    out = random_shift(images.reshape(50, 784), np.random.default_rng(1), max_shift=2)
    out = out.reshape(50, 28, 28)
    moves = set()
    for original, shifted in zip(images, out, strict=True):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(np.roll(original, (dy, dx), axis=(0, 1)), shifted)]
        assert len(found) == 1
        moves.add(found[0])
    assert len(moves) > 10  # many different shifts, not one for the whole batch


def test_shift_fills_the_uncovered_border_with_zeros():
    x = np.ones((200, 784), np.float32)
    out = random_shift(x, np.random.default_rng(0), max_shift=2).reshape(200, 28, 28)
    assert (out[:, 2:-2, 2:-2] == 1).all()
    zero_rows = (out == 0).all(axis=2).sum(axis=1)
    assert zero_rows.max() == 2 and zero_rows.min() == 0


def test_hflip_mirrors_exactly_the_chosen_images():
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    out = hflip(x, np.array([True, False]))
    np.testing.assert_array_equal(out[0], x[0][:, ::-1])
    np.testing.assert_array_equal(out[1], x[1])


def test_random_flip_mirrors_the_images_whose_draw_is_below_p():
    x = np.random.default_rng(0).random((400, 784)).astype(np.float32)
    out = random_flip(x, np.random.default_rng(3), p=0.3).reshape(400, 28, 28)
    chosen = np.random.default_rng(3).random(400) < 0.3
    images = x.reshape(400, 28, 28)
    np.testing.assert_array_equal(out[chosen], images[chosen][:, :, ::-1])
    np.testing.assert_array_equal(out[~chosen], images[~chosen])
    assert 80 < chosen.sum() < 160


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_rotating_a_square_image_by_quarter_turns_equals_rot90(interpolation):
    x = np.random.default_rng(2).random((3, 7, 7)).astype(np.float32)
    for k, angle in ((1, 90.0), (2, 180.0), (-1, -90.0), (3, 270.0)):
        out = rotate(x, np.full(3, angle), interpolation)
        np.testing.assert_allclose(out, np.rot90(x, k, axes=(1, 2)), atol=1e-6, rtol=0)
    np.testing.assert_array_equal(rotate(x, np.zeros(3), interpolation), x)


def test_rotation_turns_a_pixel_counter_clockwise_about_the_centre():
    x = np.zeros((1, 5, 5), np.float32)
    x[0, 2, 4] = 1  # right of the centre
    out = rotate(x, np.array([90.0]), "nearest")[0]
    assert out[0, 2] == 1 and out.sum() == 1  # now above it


@pytest.mark.parametrize("interpolation, order", [("bilinear", 1), ("nearest", 0)])
def test_rotation_matches_scipy_with_zero_padding_at_any_angle(interpolation, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    images = np.random.default_rng(3).random((4, 28, 28))
    angles = np.array([7.0, -13.0, 33.0, 171.0])
    out = rotate(images.astype(np.float32), angles, interpolation)
    for image, angle, got in zip(images, angles, out, strict=True):
        expected = ndimage.rotate(image, angle, reshape=False, order=order,
                                  mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_rotation_turns_every_channel_of_an_nchw_batch_alike():
    x = np.random.default_rng(4).random((2, 3, 6, 6)).astype(np.float32)
    out = rotate(x, np.array([90.0, 180.0]))
    np.testing.assert_allclose(out[0], np.rot90(x[0], 1, axes=(1, 2)), atol=1e-6)
    np.testing.assert_allclose(out[1], x[1, :, ::-1, ::-1], atol=1e-6)


def test_random_rotation_draws_angles_uniformly_within_the_degrees():
    x = np.random.default_rng(5).random((16, 784)).astype(np.float32)
    out = random_rotation(x, np.random.default_rng(9), degrees=15)
    angles = np.random.default_rng(9).uniform(-15, 15, 16)
    np.testing.assert_array_equal(out, rotate(x, angles))
    assert angles.min() < -5 and angles.max() > 5


def test_rotate_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        rotate(np.zeros((1, 4, 4), np.float32), np.zeros(1), "cubic")
