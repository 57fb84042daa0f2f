"""``telar.io.read_image``: torchvision's ``(C, H, W)`` uint8 tensors, modes, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import telar
from telar.errors import ImageFileError
from telar.io import ImageReadMode, read_image


def test_read_image_gives_channels_first_uint8_as_the_file_holds_them(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "grey.png")
    image = read_image(tmp_path / "photo.png")
    assert image.shape == (3, 5, 7) and image.dtype == telar.uint8
    np.testing.assert_array_equal(image.numpy(), rgb.transpose(2, 0, 1))
    grey = telar.io.read_image(str(tmp_path / "grey.png"))
    np.testing.assert_array_equal(grey.numpy(), rgb[None, ..., 0])
    assert read_image(tmp_path / "photo.png", ImageReadMode.GRAY).shape == (1, 5, 7)
    assert read_image(tmp_path / "grey.png", ImageReadMode.RGB).shape == (3, 5, 7)
    assert read_image(tmp_path / "photo.png", ImageReadMode.RGB_ALPHA).shape == (4, 5, 7)


def test_read_image_names_the_file_when_it_is_missing_or_not_an_image(tmp_path):
    with pytest.raises(ImageFileError, match="missing.png: no such file"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ImageFileError, match="notes.png: not a readable image"):
        read_image(tmp_path / "notes.png")
