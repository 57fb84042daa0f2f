"""``make_grid`` and ``save_image``: torchvision's layout, normalisation and PNG bytes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import telar
from telar.utils import make_grid, save_image


def test_make_grid_lays_images_in_rows_with_padding_as_torchvision():
    batch = telar.tensor(np.arange(10, dtype=np.float32)[:, None, None, None]
                         * np.ones((10, 1, 4, 5), np.float32))
    grid = make_grid(batch, nrow=4, padding=2, pad_value=-1)
    # 3 rows of 4 cells (the last row half empty), each cell the image plus 2 pixels
    assert grid.shape == (3, 3 * 6 + 2, 4 * 7 + 2)
    values = grid.numpy()
    for k in range(10):
        y, x = divmod(k, 4)
        cell = values[:, 2 + 6 * y: 2 + 6 * y + 4, 2 + 7 * x: 2 + 7 * x + 5]
        assert (cell == k).all(), k  # 1 channel repeated to 3
    assert (values[:, :2] == -1).all() and (values[:, -8:, -16:] == -1).all()
    assert telar.utils.make_grid(telar.zeros(10, 1, 28, 28)).shape == (3, 62, 242)


def test_make_grid_normalises_to_the_batch_range_or_each_image_own():
    batch = telar.tensor(np.stack([np.full((1, 2, 2), 2.0), np.full((1, 2, 2), 6.0)])
                         .astype(np.float32))
    batch[0, 0, 0, 0] = 4.0
    whole = make_grid(batch, normalize=True, padding=0).numpy()
    assert whole.min() == 0.0 and whole.max() == 1.0 and whole[0, 0, 0] == 0.5
    ranged = make_grid(batch, normalize=True, value_range=(0, 8), padding=0).numpy()
    assert ranged[0, 1, 1] == 0.25 and ranged[0, 0, 3] == 0.75


def test_save_image_writes_the_grid_as_a_png_with_torchvisions_rounding(tmp_path):
    batch = telar.tensor(np.array([0.0, 0.5, 0.999, 1.2], np.float32)[:, None, None, None]
                         * np.ones((4, 3, 2, 2), np.float32))
    save_image(batch, tmp_path / "grid.png", nrow=2, padding=1)
    pixels = np.asarray(Image.open(tmp_path / "grid.png"))
    assert pixels.shape == (7, 7, 3)
    assert [pixels[1, 1, 0], pixels[1, 4, 0], pixels[4, 1, 0], pixels[4, 4, 0]] == \
        [0, 128, 255, 255]
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(ValueError, match="make_grid expects images"):
        save_image(telar.zeros(2, 2, 2, 2, 2), tmp_path / "bad.png")
