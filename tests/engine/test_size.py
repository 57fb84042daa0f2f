"""``size()``/``shape`` print as ``telar.Size([...])`` and dtypes as ``telar.float32``, the way
PyTorch prints ``torch.Size`` and ``torch.float32``, and still work as tuples and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import telar


def test_size_and_dtype_print_as_pytorchs_with_telars_name():
    torch = pytest.importorskip("torch")
    ours, theirs = telar.zeros(64, 1, 28, 28), torch.zeros(64, 1, 28, 28)
    for mine, their in ((ours.size(), theirs.size()), (ours.shape, theirs.shape),
                        (ours.dtype, theirs.dtype),
                        (telar.tensor([1]).dtype, torch.tensor([1]).dtype),
                        (telar.tensor([True]).dtype, torch.tensor([True]).dtype)):
        assert f"{mine}" == f"{their}".replace("torch.", "telar.")
        assert repr(mine) == repr(their).replace("torch.", "telar.")
    assert f"Shape of X: {ours.shape}" == "Shape of X: telar.Size([64, 1, 28, 28])"


def test_size_is_still_a_tuple_and_dtype_still_a_numpy_dtype():
    x = telar.zeros(2, 3)
    assert x.size() == (2, 3) and x.shape[1] == 3 and x.size(0) == 2 and x.size().numel() == 6
    n, c = x.shape
    assert (n, c) == (2, 3) and isinstance(x.shape, tuple)
    assert x.dtype == np.float32 and x.dtype == telar.float32 and x.dtype != telar.float64
    assert np.zeros(2, dtype=x.dtype).dtype == np.float32 and x.dtype.kind == "f"
    assert {np.dtype("float32"): "found"}[x.dtype] == "found"
    assert x.dtype.is_floating_point and not telar.tensor([1]).dtype.is_floating_point
