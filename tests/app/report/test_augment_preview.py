"""The augmentation preview's grid: rows cycle through the classes, and each row's copies come
from one seeded call of the augmentation."""

from __future__ import annotations

import numpy as np

from telar.app.report.augment_preview import augment_grid, pick_examples


def test_rows_cycle_through_the_classes_and_copies_come_from_one_seeded_call():
    labels = np.array([2, 0, 1, 0, 2, 1, 0, 2, 1])
    chosen = pick_examples(labels, 7, np.random.default_rng(0))
    assert labels[chosen].tolist() == [0, 1, 2, 0, 1, 2, 0] and len(set(chosen)) == 7
    images = np.random.default_rng(1).random((3, 4, 4)).astype(np.float32)
    grid = augment_grid(images, lambda x, rng: x + rng.random((len(x), 1, 1)), 2,
                        np.random.default_rng(2))
    offsets = np.random.default_rng(2).random(6).reshape(3, 2)
    np.testing.assert_allclose(grid, images[:, None] + offsets[:, :, None, None], rtol=1e-6)
