"""Trigonometric and hyperbolic functions, ``log1p``, ``expm1``, ``round``: values and gradients
against PyTorch in float64, and every backward rule against central differences."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import against_torch, check, leaf

import telar
from telar.engine import functional as F

#: name -> the domain its values are drawn from (inside the function's domain, off its poles)
DOMAINS = {"sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9),
           "acos": (-0.9, 0.9), "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
           "asinh": (-3, 3), "acosh": (1.1, 3), "atanh": (-0.9, 0.9), "log1p": (-0.9, 3),
           "expm1": (-2, 2)}


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_each_function_gives_pytorchs_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    low, high = DOMAINS[name]
    x = np.random.default_rng(3).uniform(low, high, size=(3, 4))
    against_torch(getattr(F, name), getattr(torch, name), [x], tol=1e-12)
    check(getattr(F, name), leaf((3, 4), 1, low, high))


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_each_function_is_a_method_and_a_top_level_function(name):
    low, high = DOMAINS[name]
    x = telar.tensor([0.7 * low + 0.3 * high, 0.4 * low + 0.6 * high])
    expected = getattr(F, name)(x).numpy()
    np.testing.assert_array_equal(getattr(x, name)().numpy(), expected)
    np.testing.assert_array_equal(getattr(telar, name)(x).numpy(), expected)


def test_log1p_is_accurate_where_log_of_one_plus_x_rounds_to_zero():
    assert telar.log1p(telar.tensor([1e-10], dtype=telar.float64)).item() == pytest.approx(1e-10)


def test_round_is_half_to_even_like_pytorch_and_its_gradient_is_zero():
    torch = pytest.importorskip("torch")
    values = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, 0.126]
    x = telar.tensor(values, requires_grad=True)
    y = x.round()
    np.testing.assert_array_equal(y.numpy(), torch.tensor(values).round().numpy())
    assert telar.round(telar.tensor([0.126]), decimals=2).item() == pytest.approx(0.13)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(len(values)))
