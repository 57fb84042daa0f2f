"""Batch augmentation: shifts move pixels without changing them; flips mirror."""

import numpy as np

from telar.data.augment import make_augment, random_flip, random_shift


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


def test_flip_mirrors_about_half_the_images_and_leaves_the_others():
    rng = np.random.default_rng(0)
    x = rng.random((400, 784)).astype(np.float32)
    out = random_flip(x, np.random.default_rng(3)).reshape(400, 28, 28)
    images = x.reshape(400, 28, 28)
    mirrored = np.array([np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images, strict=True)])
    same = np.array([np.array_equal(o, i) for o, i in zip(out, images, strict=True)])
    assert (mirrored ^ same).all()
    assert 150 < mirrored.sum() < 250


def test_augment_by_name_is_seeded_and_none_means_no_augmentation():
    x = np.random.default_rng(0).random((8, 784)).astype(np.float32)
    augment = make_augment("shift+flip")
    a = augment(x, np.random.default_rng(5))
    b = augment(x, np.random.default_rng(5))
    assert np.array_equal(a, b) and not np.array_equal(a, x)
    assert make_augment("none") is None
