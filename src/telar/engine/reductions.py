"""Reductions: ``sum``, ``mean``, ``max``, ``min`` over some axes (or all), with backward rules.

The gradient of a reduction is ``g`` broadcast back over the reduced axes (scaled by
``1/n`` for the mean; routed to the maxima, ties sharing equally, for max and min).
"""

from __future__ import annotations

from telar.engine.arithmetic import neg
from telar.engine.array import Array, array_module
from telar.engine.tensor import Tensor, make_result

Axis = int | tuple[int, ...] | None


def _keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % len(shape) for a in axes)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``sum(x, axis)``; ``dx = g`` broadcast back over the summed axes."""
    shape = x.array.shape
    xp = array_module(x.array)  # module functions: array-API arrays have no .sum method

    def backward(g: Array) -> tuple[Array]:
        return (xp.broadcast_to(xp.reshape(g, _keepdims_shape(shape, axis)), shape),)

    return make_result(xp.asarray(xp.sum(x.array, axis=axis, keepdims=keepdims)), (x,), backward)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``mean(x, axis)``; ``dx = g / n`` broadcast back, ``n`` the number of averaged values."""
    shape = x.array.shape
    xp = array_module(x.array)
    out = xp.asarray(xp.mean(x.array, axis=axis, keepdims=keepdims))
    n = x.array.size // out.size if out.size else 1

    def backward(g: Array) -> tuple[Array]:
        return (xp.broadcast_to(xp.reshape(g, _keepdims_shape(shape, axis)) / n, shape),)

    return make_result(out, (x,), backward)


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``max(x, axis)``; ``dx = g`` at the maxima, shared equally between ties, 0 elsewhere."""
    xd = x.array
    top = xd.max(axis=axis, keepdims=True)

    def backward(g: Array) -> tuple[Array]:
        hits = xd == top
        share = hits / hits.sum(axis=axis, keepdims=True)
        return (share * g.reshape(top.shape),)

    out = top if keepdims else array_module(xd).asarray(xd.max(axis=axis))
    return make_result(out, (x,), backward)


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``min(x, axis) = -max(-x, axis)``."""
    return neg(max(neg(x), axis, keepdims))
