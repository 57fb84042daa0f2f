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


# ------------------------------------------------ Resize, CenterCrop, ColorJitter (issue 20)
def _photo():
    from PIL import Image
    pixels = np.random.default_rng(0).integers(0, 256, (28, 30, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.mark.parametrize("size", [(14, 14), (56, 40), 10])
def test_resize_of_a_pil_image_is_pils_bilinear_resize_within_one_level(size):
    from PIL import Image
    photo = _photo()
    ours = transforms.Resize(size)(photo)
    assert isinstance(ours, Image.Image) and ours.mode == "RGB"
    wh = (size[1], size[0]) if isinstance(size, tuple) else (int(10 * 30 / 28), 10)
    theirs = photo.resize(wh, Image.BILINEAR)
    assert ours.size == theirs.size
    assert np.abs(np.asarray(ours, int) - np.asarray(theirs, int)).max() <= 1


def test_resize_and_center_crop_keep_a_tensor_a_tensor_and_uint8_uint8():
    x = telar.tensor(np.random.default_rng(0).random((3, 28, 28)).astype(np.float32))
    assert transforms.Resize(32)(x).shape == (3, 32, 32) and transforms.Resize(32)(x).dtype == \
        telar.float32
    assert transforms.CenterCrop(24)(x).equal(x[:, 2:26, 2:26])
    digits = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    out = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(30)])(digits)
    assert out.shape == (30, 30) and out.dtype == np.uint8
    assert np.asarray(transforms.CenterCrop((10, 12))(_photo())).shape == (10, 12, 3)
    assert np.asarray(transforms.RandomCrop(20)(_photo())).shape == (20, 20, 3)


@pytest.mark.parametrize("kind, enhancer", [("brightness", "Brightness"),
                                            ("contrast", "Contrast"), ("saturation", "Color")])
@pytest.mark.parametrize("factor", [0.4, 1.6])
def test_color_jitter_with_a_fixed_factor_is_pils_enhancer_as_torchvision_uses(kind, enhancer,
                                                                                factor):
    from PIL import ImageEnhance
    photo = _photo()
    ours = transforms.ColorJitter(**{kind: (factor, factor)})(photo)
    theirs = getattr(ImageEnhance, enhancer)(photo).enhance(factor)
    assert np.abs(np.asarray(ours, int) - np.asarray(theirs, int)).max() <= 1


def test_color_jitter_draws_its_factors_from_telars_seeded_generator_and_checks_arguments():
    x = telar.rand(3, 8, 8)
    jitter = transforms.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2)
    telar.manual_seed(3)
    first = jitter(x)
    telar.manual_seed(3)
    assert jitter(x).equal(first) and not first.equal(x)
    assert float(first.min()) >= 0 and float(first.max()) <= 1
    with pytest.raises(ValueError, match="hue values should be between"):
        transforms.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non negative"):
        transforms.ColorJitter(brightness=-1)
