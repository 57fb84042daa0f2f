"""telar.zeros, telar.arange, telar.from_numpy...: PyTorch's factories and default dtypes."""

from __future__ import annotations

import numpy as np
from helpers.engine import t

import telar


def test_factories_give_pytorch_default_dtypes():
    assert t(1.5).dtype == np.float32 and t([1, 2]).dtype == np.int64
    assert t([True]).dtype == np.bool_ and t(np.zeros(2)).dtype == np.float64
    assert telar.zeros(2, 3).dtype == np.float32 and telar.ones((2,)).shape == (2,)
    assert telar.empty(3).shape == (3,) and telar.full((2,), 7).dtype == np.int64
    assert telar.full((2,), 0.5).tolist() == [0.5, 0.5]
    assert telar.arange(5).dtype == np.int64 and telar.arange(0, 1, 0.5).dtype == np.float32
    assert telar.randn(3, 4).dtype == np.float32 and telar.rand(2).shape == (2,)
    base = t([[1.0, 2.0]])
    assert telar.zeros_like(base).tolist() == [[0, 0]] and telar.ones_like(base).shape == (1, 2)
    array = np.arange(3.0)
    shared = telar.from_numpy(array)
    array[0] = 9.0
    assert shared.tolist()[0] == 9.0
    assert telar.float32 is np.float32 and telar.long is np.int64 and telar.bool is np.bool_
    assert telar.cat([base, base]).shape == (2, 2)
    assert telar.stack([base, base], 1).shape == (1, 2, 2)
