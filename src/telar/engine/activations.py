"""Activations: ReLU and its kin, sigmoid, tanh, GELU, softmax and log-softmax.

Each backward sits beside its forward. Softmax and log-softmax subtract the row maximum
before exponentiating (log-sum-exp), so huge logits neither overflow nor give ``log 0``:
:func:`softmax_parts` is that computation, the one every softmax, log-softmax and
cross-entropy of telar uses (evaluation and inference included).
"""

from __future__ import annotations

import math
from typing import Any

from telar.engine.array import Array, array_module
from telar.engine.shapes import cast
from telar.engine.tensor import Tensor, make_result


def softmax_parts(z: Array, axis: int = -1) -> tuple[Array, Array, Array]:
    """The pieces of a stable softmax of ``z`` along ``axis``.

    ``shifted = z - max(z)``, ``e = exp(shifted)`` and ``total = sum(e)`` (kept dims), so::

        softmax(z)     = e / total
        log_softmax(z) = shifted - log(total)      (z - logsumexp(z))

    with ``logsumexp(z) = max(z) + log(sum(exp(z - max(z))))``: every exponent is ``<= 0``.
    """
    xp = array_module(z)
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    return shifted, e, xp.sum(e, axis=axis, keepdims=True)


def softmax_array(z: Array, axis: int = -1) -> Array:
    """``exp(z - max z) / sum(exp(z - max z))`` along ``axis``, on a plain array."""
    _, e, total = softmax_parts(z, axis)
    return e / total


def log_softmax_array(z: Array, axis: int = -1) -> Array:
    """``z - logsumexp(z)`` along ``axis``, on a plain array."""
    shifted, _, total = softmax_parts(z, axis)
    return shifted - array_module(total).log(total)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; ``dx = g * [x > 0]`` (the report's derivative: 1 if positive, else 0)."""
    xd = x.array
    xp = array_module(xd)
    out = xp.maximum(xd, 0)
    return make_result(out, (x,), lambda g: (g * (out > 0),))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x if x > 0 else a*x``; ``dx = g * (1 if x > 0 else a)``."""
    xd = x.array
    xp = array_module(xd)
    positive = xd > 0
    out = xp.where(positive, xd, xd * negative_slope)
    return make_result(out, (x,), lambda g: (xp.where(positive, g, g * negative_slope),))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x if x > 0 else alpha*(e^x - 1)``; ``dx = g * (1 if x > 0 else out + alpha)``."""
    xd = x.array
    xp = array_module(xd)
    positive = xd > 0
    out = xp.where(positive, xd, alpha * xp.expm1(xp.minimum(xd, 0)))
    return make_result(out, (x,), lambda g: (xp.where(positive, g, g * (out + alpha)),))


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + e^-x)``, computed as ``(1 + tanh(x/2)) / 2`` (no overflow); ``dx = g*s*(1-s)``."""
    out = 0.5 * (1 + array_module(x.array).tanh(0.5 * x.array))
    return make_result(out, (x,), lambda g: (g * out * (1 - out),))


def tanh(x: Tensor) -> Tensor:
    """``tanh(x)``; ``dx = g * (1 - tanh(x)^2)``."""
    out = array_module(x.array).tanh(x.array)
    return make_result(out, (x,), lambda g: (g * (1 - out * out),))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, ``x * Phi(x)``, with PyTorch's two variants.

    ``approximate="none"`` (PyTorch's default, exact): ``Phi(x) = (1 + erf(x/sqrt 2)) / 2``,
    ``dx = g * (Phi(x) + x * phi(x))``. ``approximate="tanh"``:
    ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``.
    """
    xd = x.array
    xp = array_module(xd)
    if approximate == "none":
        if xp.__name__ == "cupy":
            from cupyx.scipy.special import erf  # CuPy's own, on the GPU
        else:
            from scipy.special import erf  # NumPy has no erf; SciPy comes with scikit-learn

        cdf = 0.5 * (1 + erf(xd * (1 / math.sqrt(2))))
        out = xd * cdf

        def backward(g: Array) -> tuple[Array]:
            return (g * (cdf + xd * _INV_SQRT_2PI * xp.exp(-0.5 * xd * xd)),)
    elif approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (xd + 0.044715 * xd ** 3))
        out = 0.5 * xd * (1 + t)

        def backward(g: Array) -> tuple[Array]:
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * xd * xd)
            return (g * (0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * du),)
    else:
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return make_result(out.astype(xd.dtype, copy=False), (x,), backward)


def _softmax_dim(x: Tensor, dim: int | None, axis: int | None) -> int:
    """PyTorch's implicit choice when no dim is given: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        dim = axis
    if dim is None:
        dim = 0 if x.array.ndim in (0, 1, 3) else 1
    return dim


def softmax(x: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int | None = None) -> Tensor:
    """``s = e^(x - max) / sum(e^(x - max))``; ``dx = s * (g - sum(g * s))`` along ``dim``."""
    axis = _softmax_dim(x, dim, axis)
    if dtype is not None:
        x = cast(x, dtype)
    out = softmax_array(x.array, axis)

    def backward(g: Array) -> tuple[Array]:
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return make_result(out, (x,), backward)


def log_softmax(x: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int | None = None) -> Tensor:
    """``x - max - log(sum(e^(x - max)))`` (log-sum-exp); ``dx = g - softmax(x) * sum(g)``."""
    axis = _softmax_dim(x, dim, axis)
    if dtype is not None:
        x = cast(x, dtype)
    out = log_softmax_array(x.array, axis)

    def backward(g: Array) -> tuple[Array]:
        xp = array_module(g)
        return (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),)

    return make_result(out, (x,), backward)
