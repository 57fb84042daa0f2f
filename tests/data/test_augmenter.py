"""``Augmenter``: seeded, order-fixed, shape- and dtype-preserving; ``make_augment`` as before."""

from __future__ import annotations

import numpy as np
import pytest

from telar.data.augment import (
    OPS,
    Augmenter,
    make_augment,
    random_flip,
    random_rotation,
    random_shift,
)

EVERYTHING = "shift=2,flip,rotate=10,erase=0.5,brightness=0.2,contrast=0.2"


def batch(shape=(16, 784), dtype=np.float32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(dtype)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another():
    augment, x = Augmenter(EVERYTHING), batch()
    a = augment(x, np.random.default_rng(5))
    assert np.array_equal(a, augment(x, np.random.default_rng(5)))
    assert not np.array_equal(a, augment(x, np.random.default_rng(6)))
    assert not np.array_equal(a, x)


@pytest.mark.parametrize("shape", [(8, 784), (8, 28, 28), (8, 1, 28, 28), (8, 3, 28, 28)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layout_and_float_dtype_comes_back_as_it_went_in(shape, dtype):
    out = Augmenter(EVERYTHING + ",erase_fill=noise")(batch(shape, dtype), np.random.default_rng(1))
    assert out.shape == shape and out.dtype == dtype
    assert out.min() >= 0 and out.max() <= 1


def test_flat_rows_and_nchw_images_get_the_same_augmentation():
    augment, x = Augmenter(EVERYTHING), batch((8, 784))
    flat = augment(x, np.random.default_rng(2))
    nchw = augment(x.reshape(8, 1, 28, 28), np.random.default_rng(2))
    np.testing.assert_array_equal(flat.reshape(8, 1, 28, 28), nchw)


def test_non_square_rows_need_their_image_shape():
    x = batch((4, 6))
    out = Augmenter("shift=1,rotate=5", image_shape=(2, 3))(x, np.random.default_rng(0))
    assert out.shape == (4, 6)
    with pytest.raises(ValueError, match="not square"):
        Augmenter("shift=1")(x, np.random.default_rng(0))


def test_integer_images_are_refused():
    with pytest.raises(TypeError, match="floating-point"):
        Augmenter("shift")(np.zeros((2, 784), np.uint8), np.random.default_rng(0))


def test_ops_run_in_registry_order_whatever_order_the_text_gives():
    x = batch()
    out = Augmenter("flip=0.5,shift=1,rotate=20")(x, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    expected = random_flip(random_shift(random_rotation(x, rng, 20.0), rng, 1), rng, 0.5)
    np.testing.assert_array_equal(out, expected)
    assert list(OPS)[:3] == ["rotate", "shift", "flip"]


def test_an_empty_augmenter_returns_the_batch_itself_and_draws_nothing():
    x, rng = batch(), np.random.default_rng(4)
    assert Augmenter("none")(x, rng) is x
    assert rng.random() == np.random.default_rng(4).random()


def test_make_augment_keeps_the_old_names_and_their_exact_draws():
    x = batch()
    rng = np.random.default_rng(5)
    expected = random_flip(random_shift(x, rng, 2), rng, 0.5)
    np.testing.assert_array_equal(make_augment("shift+flip")(x, np.random.default_rng(5)),
                                  expected)
    assert make_augment("none") is None
    assert make_augment("shift=2,flip,rotate=10") is not None
    with pytest.raises(ValueError, match="unknown augmentation 'zoom'"):
        make_augment("zoom")


@pytest.mark.parametrize("n", [0, 1])
def test_an_empty_or_single_image_batch_goes_through_every_op(n):
    out = Augmenter(EVERYTHING + ",erase_fill=noise")(batch((n, 784)), np.random.default_rng(0))
    assert out.shape == (n, 784)
