"""Primitive operations on :class:`telar.Tensor`, each with its backward rule next to its forward.

Every function computes its output with NumPy (through the ``xp`` shim) and hands
:func:`telar.autograd.make_result` a closure ``backward(g)`` that turns ``g = dL/dout`` into
the gradients of its inputs, in order (``None`` where an input needs none). Rules are written
on ndarrays, so the backward pass builds no graph of its own.

Broadcasting: when an input was broadcast in the forward pass, its gradient is summed over the
broadcast axes (:func:`unbroadcast`). Non-tensor arguments (Python numbers, ndarrays) are
constants.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from telar.autograd import Tensor, constant, make_result
from telar.backend import xp
from telar.chunk_workers import split_matmul

Axis = int | tuple[int, ...] | None


def _as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor; a Python number takes the dtype of ``like`` (as NumPy's own
    scalars do), so ``float32_tensor * 0.5`` stays float32."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and \
            xp.issubdtype(like.data.dtype, xp.floating):
        return constant(xp.asarray(value, dtype=like.data.dtype))
    return constant(xp.asarray(value))


def _operands(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, _as_tensor(b, a)
    return _as_tensor(a, b if isinstance(b, Tensor) else None), b if isinstance(b, Tensor) \
        else _as_tensor(b)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


# --------------------------------------------------------------------------- arithmetic
def add(a: Any, b: Any) -> Tensor:
    """``a + b`` (broadcasting); ``da = g``, ``db = g``, each summed over broadcast axes."""
    a, b = _operands(a, b)
    sa, sb = a.data.shape, b.data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(g, sb) if b.requires_grad else None)

    return make_result(a.data + b.data, (a, b), backward)


def sub(a: Any, b: Any) -> Tensor:
    """``a - b``; ``da = g``, ``db = -g``."""
    a, b = _operands(a, b)
    sa, sb = a.data.shape, b.data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(-g, sb) if b.requires_grad else None)

    return make_result(a.data - b.data, (a, b), backward)


def mul(a: Any, b: Any) -> Tensor:
    """``a * b``; ``da = g * b``, ``db = g * a``."""
    a, b = _operands(a, b)
    ad, bd = a.data, b.data

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (unbroadcast(g * bd, ad.shape) if a.requires_grad else None,
                unbroadcast(g * ad, bd.shape) if b.requires_grad else None)

    return make_result(ad * bd, (a, b), backward)


def div(a: Any, b: Any) -> Tensor:
    """``a / b``; ``da = g / b``, ``db = -g * a / b**2 = -g * out / b``."""
    a, b = _operands(a, b)
    ad, bd = a.data, b.data
    out = ad / bd

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (unbroadcast(g / bd, ad.shape) if a.requires_grad else None,
                unbroadcast(-g * out / bd, bd.shape) if b.requires_grad else None)

    return make_result(out, (a, b), backward)


def neg(a: Tensor) -> Tensor:
    """``-a``; ``da = -g``."""
    return make_result(-a.data, (a,), lambda g: (-g,))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - the operator's name
    """``a ** b``; ``da = g * b * a**(b-1)``, ``db = g * a**b * log(a)`` (needs ``a > 0``)."""
    a, b = _operands(a, b)
    ad, bd = a.data, b.data
    out = ad ** bd

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(g * bd * ad ** (bd - 1), ad.shape) if a.requires_grad else None
        gb = unbroadcast(g * out * xp.log(ad), bd.shape) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` (NumPy rules, batch dims broadcast); ``da = g @ b^T``, ``db = a^T @ g``."""
    a, b = _operands(a, b)
    ad, bd = a.data, b.data
    _same_float_dtype(ad, bd, "matmul")

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # 1-D operands are matrices with a unit dimension, as in NumPy's definition.
        a2 = ad[None, :] if ad.ndim == 1 else ad
        b2 = bd[:, None] if bd.ndim == 1 else bd
        g2 = xp.expand_dims(g, -2) if ad.ndim == 1 else g
        g2 = xp.expand_dims(g2, -1) if bd.ndim == 1 else g2
        ga = gb = None
        if a.requires_grad:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga.squeeze(-2) if ad.ndim == 1 else ga, ad.shape)
        if b.requires_grad:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb.squeeze(-1) if bd.ndim == 1 else gb, bd.shape)
        return ga, gb

    return make_result(ad @ bd, (a, b), backward)


def _same_float_dtype(a: np.ndarray, b: np.ndarray, op: str) -> None:
    """PyTorch's rule: a matrix product of two floating-point dtypes needs them equal.

    So float64 data fed to a float32 model raises instead of silently computing in float64;
    cast the input (``x.float()``) or the model (``model.double()``).
    """
    if a.dtype != b.dtype and a.dtype.kind == "f" and b.dtype.kind == "f":
        raise RuntimeError(f"{op}: mat1 and mat2 must have the same dtype, but got {a.dtype} "
                           f"and {b.dtype} (cast with .float() / .double(), or the model "
                           "with model.to(dtype))")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fused affine map ``y = x @ W^T + b`` (PyTorch's layout: ``W`` is ``(out, in)``).

    Backward: ``dx = g @ W``, ``dW = g^T @ x``, ``db = sum_rows(g)``; ``dx`` is skipped when
    ``x`` needs no gradient (the network's input), which saves the largest matmul.
    """
    xd, wd = x.data, weight.data
    _same_float_dtype(xd, wd, "linear")
    lead = xd.shape[:-1]
    x2 = xd if xd.ndim == 2 else xd.reshape(-1, xd.shape[-1])
    # a big product on a single-threaded BLAS is split over two cores (chunk_workers)
    out = split_matmul(x2, wd.T)
    if bias is not None:
        out += bias.data  # `out` is fresh: adding in place saves a temporary

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = split_matmul(g2, wd).reshape(xd.shape) if x.requires_grad else None
        gw = split_matmul(g2.T, x2) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)

    if xd.ndim != 2:
        out = out.reshape(*lead, wd.shape[0])
    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_result(out, parents, backward)


# --------------------------------------------------------------------------- reductions
def _keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % len(shape) for a in axes)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``sum(x, axis)``; ``dx = g`` broadcast back over the summed axes."""
    shape = x.data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (xp.broadcast_to(g.reshape(_keepdims_shape(shape, axis)), shape),)

    return make_result(xp.asarray(x.data.sum(axis=axis, keepdims=keepdims)), (x,), backward)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``mean(x, axis)``; ``dx = g / n`` broadcast back, ``n`` the number of averaged values."""
    shape = x.data.shape
    out = xp.asarray(x.data.mean(axis=axis, keepdims=keepdims))
    n = x.data.size // out.size if out.size else 1

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (xp.broadcast_to(g.reshape(_keepdims_shape(shape, axis)) / n, shape),)

    return make_result(out, (x,), backward)


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``max(x, axis)``; ``dx = g`` at the maxima, shared equally between ties, 0 elsewhere."""
    xd = x.data
    top = xd.max(axis=axis, keepdims=True)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        hits = xd == top
        share = hits / hits.sum(axis=axis, keepdims=True)
        return (share * g.reshape(top.shape),)

    out = top if keepdims else xp.asarray(xd.max(axis=axis))
    return make_result(out, (x,), backward)


# --------------------------------------------------------------------------- element-wise
def exp(x: Tensor) -> Tensor:
    """``e^x``; ``dx = g * e^x``."""
    out = xp.exp(x.data)
    return make_result(out, (x,), lambda g: (g * out,))


def log(x: Tensor) -> Tensor:
    """``ln x``; ``dx = g / x``."""
    xd = x.data
    return make_result(xp.log(xd), (x,), lambda g: (g / xd,))


def sqrt(x: Tensor) -> Tensor:
    """``sqrt(x)``; ``dx = g / (2 sqrt(x))``."""
    out = xp.sqrt(x.data)
    return make_result(out, (x,), lambda g: (g / (2 * out),))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    """``|x|``; ``dx = g * sign(x)`` (0 at 0)."""
    xd = x.data
    return make_result(xp.abs(xd), (x,), lambda g: (g * xp.sign(xd),))


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """``x`` limited to ``[min, max]``; ``dx = g`` where ``x`` was inside, else 0."""
    xd = x.data
    out = xp.clip(xd, min, max)
    return make_result(out, (x,), lambda g: (g * (out == xd),))


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise ``max(a, b)``; the gradient goes to the larger (to ``a`` on ties)."""
    a, b = _operands(a, b)
    pick = a.data >= b.data

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (unbroadcast(g * pick, a.data.shape) if a.requires_grad else None,
                unbroadcast(g * ~pick, b.data.shape) if b.requires_grad else None)

    return make_result(xp.where(pick, a.data, b.data), (a, b), backward)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise ``min(a, b)`` (``-max(-a, -b)``)."""
    return neg(maximum(neg(_as_tensor(a)), neg(_as_tensor(b))))


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """``min(x, axis) = -max(-x, axis)``."""
    return neg(max(neg(x), axis, keepdims))


# --------------------------------------------------------------------------- shapes
def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """A view with another shape; ``dx = g`` reshaped back."""
    old = x.data.shape
    return make_result(x.data.reshape(shape), (x,), lambda g: (g.reshape(old),))


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them if ``axes`` is None); ``dx`` uses the inverse order."""
    inverse = None if axes is None else tuple(np.argsort(axes))
    return make_result(xp.transpose(x.data, axes), (x,), lambda g: (xp.transpose(g, inverse),))


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` (basic or advanced indexing); ``dx`` scatters ``g`` back, adding repeats."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    xd = x.data

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gx = xp.zeros_like(xd)
        xp.add.at(gx, index, g)  # unbuffered: an index used twice receives both gradients
        return (gx,)

    return make_result(xd[index], (x,), backward)


def gather(x: Tensor, axis: int, index: Any) -> Tensor:
    """``torch.gather``: ``out[..., j, ...] = x[..., index[..., j, ...], ...]`` along ``axis``."""
    index = xp.asarray(index.data if isinstance(index, Tensor) else index)
    xd = x.data
    axis = axis % xd.ndim

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        full = list(xp.indices(index.shape, sparse=True))
        full[axis] = index
        gx = xp.zeros_like(xd)
        xp.add.at(gx, tuple(full), g)
        return (gx,)

    return make_result(xp.take_along_axis(xd, index, axis=axis), (x,), backward)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join along ``axis``; each input's gradient is its slice of ``g``."""
    parts = tuple(_as_tensor(t) for t in tensors)
    sizes = [p.data.shape[axis] for p in parts]
    cuts = list(np.cumsum(sizes)[:-1])

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        pieces = xp.split(g, cuts, axis=axis)
        return [piece if p.requires_grad else None for p, piece in zip(parts, pieces, strict=True)]

    return make_result(xp.concatenate([p.data for p in parts], axis=axis), parts, backward)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (``torch.flatten``); ``flatten(x, 1)``
    turns ``(N, d1, d2, ...)`` into ``(N, d1*d2*...)``."""
    shape = x.data.shape
    if not shape:
        return reshape(x, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    if start == end:
        return x
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    """Drop dimensions of size 1 (only ``dim`` when given; a no-op if its size is not 1)."""
    shape = x.data.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        d = dim % builtins.max(len(shape), 1)
        new = shape if not shape or shape[d] != 1 else shape[:d] + shape[d + 1:]
    return x if new == shape else reshape(x, new)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (negative counts from the end of the result)."""
    shape = x.data.shape
    d = dim % (len(shape) + 1)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension ``dim``."""
    return concatenate([unsqueeze(_as_tensor(t), dim) for t in tensors], dim)


def cast(x: Tensor, dtype: Any, copy: bool = False) -> Tensor:
    """``x`` as ``dtype``; the gradient is cast back, ``dx = g.astype(x.dtype)``.

    Casting to an integer or bool dtype ends the graph (no gradient flows through it).
    """
    source = x.data.dtype
    target = np.dtype(dtype)
    if target == source and not copy:
        return x
    out = x.data.astype(target, copy=True)
    if target.kind != "f":
        return constant(out)
    return make_result(out, (x,), lambda g: (g.astype(source, copy=False),))


# --------------------------------------------------------------------------- activations
def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; ``dx = g * [x > 0]`` (the report's derivative: 1 if positive, else 0)."""
    out = xp.maximum(x.data, 0)
    return make_result(out, (x,), lambda g: (g * (out > 0),))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x if x > 0 else a*x``; ``dx = g * (1 if x > 0 else a)``."""
    xd = x.data
    positive = xd > 0
    out = xp.where(positive, xd, xd * negative_slope)
    return make_result(out, (x,), lambda g: (xp.where(positive, g, g * negative_slope),))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x if x > 0 else alpha*(e^x - 1)``; ``dx = g * (1 if x > 0 else out + alpha)``."""
    xd = x.data
    positive = xd > 0
    out = xp.where(positive, xd, alpha * xp.expm1(xp.minimum(xd, 0)))
    return make_result(out, (x,), lambda g: (xp.where(positive, g, g * (out + alpha)),))


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + e^-x)``, computed as ``(1 + tanh(x/2)) / 2`` (no overflow); ``dx = g*s*(1-s)``."""
    out = 0.5 * (1 + xp.tanh(0.5 * x.data))
    return make_result(out, (x,), lambda g: (g * out * (1 - out),))


def tanh(x: Tensor) -> Tensor:
    """``tanh(x)``; ``dx = g * (1 - tanh(x)^2)``."""
    out = xp.tanh(x.data)
    return make_result(out, (x,), lambda g: (g * (1 - out * out),))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, ``x * Phi(x)``, with PyTorch's two variants.

    ``approximate="none"`` (PyTorch's default, exact): ``Phi(x) = (1 + erf(x/sqrt 2)) / 2``,
    ``dx = g * (Phi(x) + x * phi(x))``. ``approximate="tanh"``:
    ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``.
    """
    xd = x.data
    if approximate == "none":
        from scipy.special import erf  # NumPy has no erf; SciPy comes with scikit-learn

        cdf = 0.5 * (1 + erf(xd * (1 / math.sqrt(2))))
        out = xd * cdf

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g * (cdf + xd * _INV_SQRT_2PI * xp.exp(-0.5 * xd * xd)),)
    elif approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (xd + 0.044715 * xd ** 3))
        out = 0.5 * xd * (1 + t)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
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
        dim = 0 if x.data.ndim in (0, 1, 3) else 1
    return dim


def softmax(x: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int | None = None) -> Tensor:
    """``s = e^(x - max) / sum(e^(x - max))``; ``dx = s * (g - sum(g * s))`` along ``dim``."""
    axis = _softmax_dim(x, dim, axis)
    if dtype is not None:
        x = cast(x, dtype)
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    e = xp.exp(shifted)
    out = e / e.sum(axis=axis, keepdims=True)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return make_result(out, (x,), backward)


def log_softmax(x: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int | None = None) -> Tensor:
    """``x - max - log(sum(e^(x - max)))`` (log-sum-exp); ``dx = g - softmax(x) * sum(g)``."""
    axis = _softmax_dim(x, dim, axis)
    if dtype is not None:
        x = cast(x, dtype)
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g - xp.exp(out) * g.sum(axis=axis, keepdims=True),)

    return make_result(out, (x,), backward)


# --------------------------------------------------------------------------- losses
def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """PyTorch's ``F.cross_entropy``: ``nll_loss(log_softmax(input, 1), target)``, smoothed.

    Class-index targets ``(N,)`` without ``weight`` or ignored entries take the fused path
    (:func:`fused_cross_entropy`); ``weight`` (per class), ``ignore_index``, class-probability
    targets (float, the shape of ``input``) and ``(N, C, d1, ...)`` inputs take the general
    one, composed of differentiable primitives (see :mod:`telar.losses`).
    ``size_average``/``reduce`` are PyTorch's deprecated spelling of ``reduction``.
    """
    from telar.losses import general_cross_entropy, legacy_reduction

    reduction = legacy_reduction(size_average, reduce, reduction)
    y = target.data if isinstance(target, Tensor) else xp.asarray(target)
    z = input.data
    if weight is None and z.ndim == 2 and y.ndim == 1 and y.dtype.kind in "iu" \
            and not (len(y) and (y == ignore_index).any()):
        return fused_cross_entropy(input, y, label_smoothing, reduction)
    return general_cross_entropy(input, y, weight, ignore_index, reduction, label_smoothing)


def fused_cross_entropy(logits: Tensor, target: Any, label_smoothing: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits ``(N, C)`` and class indices ``(N,)``, fused.

    With ``q = (1 - eps) * onehot(y) + eps / C`` (PyTorch's label smoothing),
    ``loss_i = -sum_k q_k log softmax(z_i)_k``, averaged over the batch for ``"mean"``.
    ``log softmax`` uses log-sum-exp, so huge logits neither overflow nor give ``log 0``.
    Backward: ``dz_i = g * (softmax(z_i) - q_i)`` (divided by ``N`` for ``"mean"``).
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    z = logits.data
    if z.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {z.shape}")
    n, c = z.shape
    y = xp.asarray(target.data if isinstance(target, Tensor) else target)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy expects integer targets of shape ({n},), "
                         f"got {y.dtype} {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"target class out of range [0, {c}): min {y.min()}, max {y.max()}")
    rows = xp.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = xp.exp(shifted)
    sums = e.sum(axis=1, keepdims=True)
    log_p = shifted - xp.log(sums)
    losses = -log_p[rows, y]
    if label_smoothing:
        losses = (1 - label_smoothing) * losses - label_smoothing * log_p.mean(axis=1)
    if reduction == "mean":
        out = xp.asarray(losses.mean() if n else xp.nan, dtype=z.dtype)
    elif reduction == "sum":
        out = xp.asarray(losses.sum(), dtype=z.dtype)
    else:
        out = losses

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = e / sums  # softmax, a fresh array we may change in place
        grad[rows, y] -= 1 - label_smoothing
        if label_smoothing:
            grad -= label_smoothing / c
        if reduction == "none":
            grad *= g[:, None]
        else:
            grad *= g / n if reduction == "mean" else g
        return (grad,)

    return make_result(out, (logits,), backward)


# --------------------------------------------------------------------------- regularisation
def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: Any = False,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each value with probability ``p``, scale the rest by ``1/(1-p)``.

    So the expected output equals the input and evaluation needs no rescaling. ``dx = g * mask``.
    ``rng`` draws the mask (default: telar's default generator, seeded by
    :func:`telar.manual_seed`); a Generator in ``inplace``'s place is taken as ``rng``
    (telar's older signature). ``inplace`` itself is ignored: the output is always new.
    """
    if isinstance(inplace, np.random.Generator):
        rng = inplace
    if rng is None:
        from telar.random import default_rng

        rng = default_rng()
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    xd = x.data
    dtype = xd.dtype if xp.issubdtype(xd.dtype, xp.floating) else xp.float64
    if p == 1.0:
        mask = xp.zeros(xd.shape, dtype=dtype)
    else:
        draws = rng.random(xd.shape, dtype=xp.float32 if dtype == xp.float32 else xp.float64)
        keep = draws >= p
        # The mask `keep / (1 - p)` overwrites the draws (same dtype): one allocation fewer.
        mask = xp.multiply(keep, dtype.type(1.0 / (1.0 - p)),
                           out=draws if draws.dtype == dtype else None)
    return make_result(xd * mask, (x,), lambda g: (g * mask,))


def update_running_stats(running_mean: np.ndarray, running_var: np.ndarray, mu: np.ndarray,
                         var: np.ndarray, n: int, momentum: float) -> None:
    """PyTorch's running statistics, in place: ``r <- (1 - m) r + m * batch value``, with the
    unbiased variance ``var * n / (n - 1)`` (``n`` values per feature in the batch)."""
    running_mean *= 1 - momentum
    running_mean += momentum * mu
    running_var *= 1 - momentum
    running_var += momentum * var * (n / (n - 1))


def batch_norm(x: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: np.ndarray | None, running_var: np.ndarray | None,
               training: bool, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over the batch axis of ``(N, C)``, fused (PyTorch's BatchNorm1d).

    A 4-D ``(N, C, H, W)`` input goes to :func:`telar.functional_conv.batch_norm2d`.

    Training: ``xhat = (x - mean_B) / sqrt(var_B + eps)`` with the biased batch variance, and
    the running statistics move by ``momentum`` (the running variance uses the unbiased one).
    Evaluation: the running statistics replace the batch ones. ``out = gamma * xhat + beta``.
    Backward (training): ``dx = (N dxhat - sum(dxhat) - xhat sum(dxhat xhat)) / (N sqrt(var+eps))``
    with ``dxhat = g * gamma``.
    """
    xd = x.data
    if xd.ndim == 4:  # (N, C, H, W): per-channel statistics over N, H, W (BatchNorm2d)
        from telar.functional_conv import batch_norm2d  # (see the end of this module)

        return batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps)
    if xd.ndim != 2:
        raise ValueError(f"batch_norm expects (N, C) or (N, C, H, W) inputs, got shape "
                         f"{xd.shape}")
    n = xd.shape[0]
    use_batch = training or running_mean is None
    if use_batch:
        if n < 2:
            raise ValueError("batch_norm in training mode needs more than one sample per batch")
        mu = xd.mean(axis=0)
        centred = xd - mu
        var = (centred * centred).mean(axis=0)
        if training and running_mean is not None and running_var is not None:
            update_running_stats(running_mean, running_var, mu, var, n, momentum)
    else:
        centred = xd - running_mean
        var = running_var
    inv_std = 1.0 / xp.sqrt(var + eps)
    centred *= inv_std  # `centred` is a fresh array used only here: scale it in place
    xhat = centred
    gamma = None if weight is None else weight.data
    out = xhat * gamma if gamma is not None else xhat.copy()
    if bias is not None:
        out += bias.data

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # dbeta = sum(g) and dgamma = sum(g xhat) over the batch; with dxhat = g gamma, the
        # sums in dx are sum(dxhat) = gamma dbeta and sum(dxhat xhat) = gamma dgamma, so
        #   dx = gamma inv_std / N * (N g - dbeta - xhat dgamma)
        # (5 passes over the (N, C) arrays instead of 9).
        g_sum = g.sum(axis=0)
        g_xhat_sum = (g * xhat).sum(axis=0)
        gx = None
        if x.requires_grad:
            scale = inv_std if gamma is None else gamma * inv_std
            if use_batch:
                scale = scale / n
                gx = g * (n * scale)
                gx -= xhat * (g_xhat_sum * scale)
                gx -= g_sum * scale
            else:
                gx = g * scale
        return norm_grads(gx, weight, bias, g_xhat_sum, g_sum)

    parents = tuple(t for t in (x, weight, bias) if t is not None)
    return make_result(out.astype(xd.dtype, copy=False), parents, backward)


def norm_grads(gx: np.ndarray | None, weight: Tensor | None, bias: Tensor | None,
               g_xhat_sum: np.ndarray, g_sum: np.ndarray) -> list[np.ndarray | None]:
    """A normalisation's gradients in the order of its parents ``(x, [gamma], [beta])``:
    ``dgamma = sum(g xhat)``, ``dbeta = sum(g)`` (``None`` where no gradient is needed)."""
    grads: list[np.ndarray | None] = [gx]
    if weight is not None:
        grads.append(g_xhat_sum if weight.requires_grad else None)
    if bias is not None:
        grads.append(g_sum if bias.requires_grad else None)
    return grads


# --------------------------------------------------------------------------- convolutions
# The 4-D (NCHW) primitives live in telar.functional_conv; they are part of this namespace
# too, looked up on first use (PEP 562): importing them here would make
# `import telar.functional_conv`, done first, a circular import.
_CONV_NAMES = frozenset({"adaptive_avg_pool2d", "avg_pool2d", "batch_norm2d", "conv2d",
                         "dropout2d", "max_pool2d", "max_pool2d_relu"})


def __getattr__(name: str) -> Any:
    if name in _CONV_NAMES:
        from telar import functional_conv

        return getattr(functional_conv, name)
    raise AttributeError(f"module 'telar.functional' has no attribute {name!r}")
