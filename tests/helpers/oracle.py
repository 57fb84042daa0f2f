"""Holding a tuned kernel to its reference: the same inputs, the same projection, compared.

Each kernel runs on fresh leaf tensors made from the same arrays; its output is reduced to
``sum(out * r)`` with ``r`` a fixed random array of the output's shape, and ``backward()``
gives every input's gradient (the whole vector-Jacobian product, checked in one pass).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from telar.engine import Tensor, tensor


def leaves(arrays: Sequence[np.ndarray | None],
           requires_grad: Sequence[bool] | None = None) -> list[Tensor | None]:
    """A fresh leaf tensor (a copy) per array, ``None`` kept; all require gradients unless
    ``requires_grad`` says which."""
    flags = [True] * len(arrays) if requires_grad is None else requires_grad
    return [None if a is None else tensor(a, requires_grad=flag)
            for a, flag in zip(arrays, flags, strict=True)]


def run(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray | None], *args: object,
        requires_grad: Sequence[bool] | None = None, seed: int = 0
        ) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """``fn(*leaves, *args)``'s values and the gradients of ``sum(out * r)`` with respect to
    each array (``None`` for a missing input or one that needs no gradient)."""
    inputs = leaves(arrays, requires_grad)
    out = fn(*inputs, *args)
    r = np.random.default_rng(seed).normal(size=out.shape).astype(out.dtype)
    (out * r).sum().backward()
    return (np.array(out.array),
            [None if t is None or t.grad is None else np.array(t.grad) for t in inputs])


def assert_close(actual: np.ndarray | None, expected: np.ndarray | None, tol: float,
                 what: str) -> None:
    """Same shape and dtype, and every entry within ``tol`` relative to the entry or to the
    array's largest magnitude (at least 1), so that cancellation near 0 is not punished."""
    if expected is None or actual is None:
        assert actual is None and expected is None, f"{what}: {actual!r} vs {expected!r}"
        return
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} vs {expected.dtype}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, err_msg=what)


def assert_same(actual: np.ndarray | None, expected: np.ndarray | None, what: str) -> None:
    """Same shape, dtype and values, bit for bit."""
    if expected is None or actual is None:
        assert actual is None and expected is None, f"{what}: {actual!r} vs {expected!r}"
        return
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} vs {expected.dtype}"
    np.testing.assert_array_equal(actual, expected, err_msg=what, strict=True)
