"""Shared fixtures: the real Fashion-MNIST arrays for tests marked ``realdata``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fmnist_helper import load_real, real_data_present  # noqa: E402


@pytest.fixture(scope="session")
def real_data():
    """(train_x float32 (60000, 784), train_y, test_x, test_y); skips when the data is absent."""
    if not real_data_present():
        pytest.skip("the real Fashion-MNIST files are not installed")
    return load_real()
