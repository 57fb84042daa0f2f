"""telar.transforms with torchvision's API: ToTensor and Normalize, and the augmentations per
image and per batch."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import transforms


def test_normalize_and_to_tensor_follow_torchvision():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    x = transforms.ToTensor()(img)
    assert x.shape == (3, 2, 2) and x.numpy()[1, 0, 0] == pytest.approx(1 / 255)
    norm = transforms.Normalize((0.5, 0.0, 1.0), (2.0, 1.0, 0.5))(x)
    np.testing.assert_allclose(norm.numpy()[0], (x.numpy()[0] - 0.5) / 2)
    np.testing.assert_allclose(norm.numpy()[2], (x.numpy()[2] - 1.0) / 0.5, rtol=1e-6)
    assert transforms.Lambda(lambda v: v + 1)(1) == 2


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (2, 2, 3, 4, 5)])
def test_normalize_works_per_channel_on_an_image_and_on_batches_of_images(shape):
    # torchvision: the channel axis is -3, whatever the leading batch dimensions
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    mean, std = np.array([0.5, -1.0, 2.0]), np.array([2.0, 0.5, 4.0])
    out = transforms.Normalize(mean, std)(telar.tensor(x)).numpy()
    expected = (x - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_random_flip_and_crop_move_pixels_per_image_and_per_batch():
    images = np.arange(2 * 4 * 5, dtype=np.uint8).reshape(2, 4, 5)
    telar.manual_seed(0)
    always = transforms.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(always(images[0]), images[0][:, ::-1])
    np.testing.assert_array_equal(always.batch(images), images[:, :, ::-1])
    first = images[0]
    assert transforms.RandomHorizontalFlip(p=0.0)(first) is first
    crop = transforms.RandomCrop(4, padding=2)
    for out in (crop(images[0]), crop.batch(images)[1], crop.batch(images[:, None])[1, 0]):
        assert out.shape == (4, 4)
        # a window of the zero-padded image: its non-zero pixels form a block of the original
        nz = out[out > 0]
        assert set(nz.tolist()) <= set(images.reshape(-1).tolist())
    full = transforms.RandomCrop((4, 5))
    np.testing.assert_array_equal(full.batch(images), images)
    tensor_in = full(transforms.ToTensor()(images[0]))
    assert isinstance(tensor_in, telar.Tensor) and tensor_in.shape == (1, 4, 5)
    pipeline = transforms.Compose([transforms.RandomCrop(28, padding=4),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    assert pipeline.batch(np.zeros((3, 28, 28), np.uint8)).shape == (3, 1, 28, 28)


def test_rotation_and_erasing_transforms_wrap_the_batch_augmentations():
    telar.manual_seed(0)
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 13:15, 4:24] = 1.0  # a horizontal bar; a 90 degree turn makes it vertical
    turned = transforms.RandomRotation((-90, 90)).batch(np.repeat(bar, 8, 0))
    assert turned.shape == (8, 28, 28) and not np.allclose(turned, bar)
    assert transforms.RandomRotation(0)(telar.tensor(bar)).shape == (1, 28, 28)
    erased = transforms.RandomErasing(p=1.0).batch(np.ones((4, 1, 28, 28), np.float32))
    assert all(0 < (img == 0).sum() < 28 * 28 for img in erased)
    kept = transforms.RandomErasing(p=0.0)(telar.ones(1, 28, 28))
    assert kept.numpy().min() == 1.0
    as_uint8 = transforms.RandomRotation(0).batch(np.full((2, 28, 28), 200, np.uint8))
    assert as_uint8.dtype == np.uint8 and (as_uint8 == 200).all()
    with pytest.raises(ValueError):
        transforms.RandomRotation((0, 30))
