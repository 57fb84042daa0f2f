"""telar.zeros, telar.arange, telar.from_numpy...: PyTorch's factories and default dtypes."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_normal_draws_with_the_mean_and_spread_asked_for_and_is_seeded():
    telar.manual_seed(5)
    draws = telar.normal(3.0, 0.5, size=(20000,))
    assert draws.dtype == telar.float32 and draws.shape == (20000,)
    assert abs(draws.mean().item() - 3.0) < 0.02 and abs(float(draws.numpy().std()) - 0.5) < 0.02
    telar.manual_seed(5)
    assert telar.normal(3.0, 0.5, size=(20000,)).equal(draws)
    means = telar.tensor([0.0, 100.0], dtype=telar.float64)
    per_element = telar.normal(means, telar.tensor([1e-6, 1e-6], dtype=telar.float64))
    assert per_element.dtype == telar.float64
    np.testing.assert_allclose(per_element.numpy(), [0.0, 100.0], atol=1e-4)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        telar.normal(0.0, -1.0, size=(2,))
