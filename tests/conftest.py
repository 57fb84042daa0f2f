"""Shared fixtures: the real Fashion-MNIST arrays for tests marked ``realdata``."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def real_data():
    """(train_x float32 (60000, 784), train_y, test_x, test_y); skips when the data is absent."""
    from telar.data import load_fashion_mnist, to_float
    from telar.errors import DataError

    try:
        data = load_fashion_mnist(download=False, progress=False)
    except DataError as exc:
        pytest.skip(f"the real Fashion-MNIST files are not available: {exc}")
    return (to_float(data.train_images), data.train_labels.astype(np.int64),
            to_float(data.test_images), data.test_labels.astype(np.int64))
