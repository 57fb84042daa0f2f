"""What the engine's tests share: leaf tensors, the gradient check, PyTorch side by side.

``check(fn, *inputs)`` holds ``fn``'s backward rules to central differences in float64
(:func:`telar.gradcheck`); :data:`FAST`, :data:`SHAPES`, :data:`PAIRS` and :data:`SEEDS` are the
hypothesis settings and strategies the property-based tests draw shapes and values with.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import telar

FAST = settings(max_examples=20, deadline=None)
SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
SEEDS = st.integers(0, 2**32 - 1)


def leaf(shape, seed, low=-2.0, high=2.0) -> telar.Tensor:
    """A float64 leaf tensor that requires a gradient: uniform values in [low, high)."""
    return telar.tensor(np.random.default_rng(seed).uniform(low, high, size=shape),
                        requires_grad=True)


def away_from_zero(shape, seed) -> telar.Tensor:
    """Values with |x| in [0.3, 2]: kinks (relu at 0) and poles (1/x) stay out of reach."""
    rng = np.random.default_rng(seed)
    return telar.tensor(rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape),
                        requires_grad=True)


def check(fn, *inputs) -> None:
    """``fn``'s gradients with respect to ``inputs`` against central differences."""
    report = telar.gradcheck(fn, list(inputs), atol=1e-7, rtol=1e-5)
    assert report, "\n" + report.table()


def normal_leaf(shape, seed, dtype=np.float64) -> telar.Tensor:
    """A leaf tensor that requires a gradient: standard normal values of ``dtype``."""
    return telar.tensor(np.random.default_rng(seed).normal(size=shape).astype(dtype),
                        requires_grad=True)


def against_torch(fn, torch_fn, inputs: list[np.ndarray], tol: float, seed: int = 1) -> None:
    """Same forward values and the same gradients for a random output gradient."""
    torch = pytest.importorskip("torch")
    ours = [telar.tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, ref = fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(seed).normal(size=out.shape).astype(out.dtype)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for mine, their in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=tol, atol=tol)


def t(values, **kw):
    """``telar.tensor``, short: the PyTorch-idiom tests make many."""
    return telar.tensor(values, **kw)


def logits_and_targets(seed=0, n=6, c=4):
    """``n`` rows of standard normal logits over ``c`` classes, and a class for each."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)), rng.integers(0, c, n)
