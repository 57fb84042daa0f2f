"""The real Fashion-MNIST, which the example scripts train on (skipped when it is absent)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def fashion():
    from telar.data import load_fashion_mnist
    from telar.errors import DataError

    try:
        return load_fashion_mnist(download=False, progress=False)
    except DataError as exc:
        pytest.skip(f"the real Fashion-MNIST files are not available: {exc}")
