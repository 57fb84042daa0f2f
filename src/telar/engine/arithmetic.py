"""Arithmetic on tensors, each backward rule next to its forward.

Every function computes its output with the array module (``xp``) and hands
:func:`telar.engine.tensor.make_result` a closure ``backward(g)`` that turns ``g = dL/dout``
into the gradients of its inputs, in order (``None`` where an input needs none). Rules are
written on arrays, so the backward pass builds no graph of its own.

Broadcasting: when an input was broadcast in the forward pass, its gradient is summed over the
broadcast axes (:func:`unbroadcast`). Non-tensor arguments (Python numbers, arrays) are
constants.

Here: ``+ - * / ** @``, the fused affine map :func:`linear`, and the element-wise functions
``exp``, ``log``, ``sqrt``, ``abs``, ``clamp``, ``maximum``, ``minimum``, ``where``.
"""

from __future__ import annotations

from typing import Any

from telar.engine.array import Array, array_module, astype, dtype_kind, fast_kernels, host, xp
from telar.engine.cpu.workers import split_matmul
from telar.engine.devices import check_same_device
from telar.engine.tensor import Tensor, constant, make_result, operand
from telar.errors import ShapeError


def _operands(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both arguments as tensors, promoted as PyTorch does: a Python number takes the other
    tensor's dtype (or float32 for a float beside an integer tensor, see :func:`operand`), and
    an integer or bool tensor beside a floating one is cast to the floating dtype (NumPy would
    give float64 for ``int64 * float32``; PyTorch gives float32)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            check_same_device(a.array, b.array)
        else:
            b = operand(b, a)
    else:
        a = operand(a, b if isinstance(b, Tensor) else None)
        b = b if isinstance(b, Tensor) else operand(b)
    ka, kb = dtype_kind(a.array), dtype_kind(b.array)
    if ka != kb:  # integers never require gradients: the cast copies are constants
        if ka in "fc" and kb in "biu":
            b = constant(astype(b.array, a.array.dtype))
        elif kb in "fc" and ka in "biu":
            a = constant(astype(a.array, b.array.dtype))
    return a, b


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    xp = array_module(grad)  # module functions, not methods: array-API arrays have no .sum
    return xp.reshape(xp.sum(grad, axis=axes, keepdims=True) if axes else grad, shape)


def add(a: Any, b: Any) -> Tensor:
    """``a + b`` (broadcasting); ``da = g``, ``db = g``, each summed over broadcast axes."""
    a, b = _operands(a, b)
    sa, sb = a.array.shape, b.array.shape

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(g, sb) if b.requires_grad else None)

    return make_result(a.array + b.array, (a, b), backward)


def sub(a: Any, b: Any) -> Tensor:
    """``a - b``; ``da = g``, ``db = -g``."""
    a, b = _operands(a, b)
    sa, sb = a.array.shape, b.array.shape

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(-g, sb) if b.requires_grad else None)

    return make_result(a.array - b.array, (a, b), backward)


def mul(a: Any, b: Any) -> Tensor:
    """``a * b``; ``da = g * b``, ``db = g * a``."""
    a, b = _operands(a, b)
    ad, bd = a.array, b.array

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g * bd, ad.shape) if a.requires_grad else None,
                unbroadcast(g * ad, bd.shape) if b.requires_grad else None)

    return make_result(ad * bd, (a, b), backward)


def div(a: Any, b: Any) -> Tensor:
    """``a / b``; ``da = g / b``, ``db = -g * a / b**2 = -g * out / b``. True division of
    integers gives float32, PyTorch's default dtype (NumPy's would be float64)."""
    a, b = _operands(a, b)
    ad, bd = a.array, b.array
    out = ad / bd
    if dtype_kind(ad) in "biu" and dtype_kind(bd) in "biu":
        out = astype(out, array_module(out).float32)

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g / bd, ad.shape) if a.requires_grad else None,
                unbroadcast(-g * out / bd, bd.shape) if b.requires_grad else None)

    return make_result(out, (a, b), backward)


def neg(a: Tensor) -> Tensor:
    """``-a``; ``da = -g``."""
    return make_result(-a.array, (a,), lambda g: (-g,))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - the operator's name
    """``a ** b``; ``da = g * b * a**(b-1)``, ``db = g * a**b * log(a)`` (needs ``a > 0``)."""
    a, b = _operands(a, b)
    ad, bd = a.array, b.array
    out = ad ** bd

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        ga = unbroadcast(g * bd * ad ** (bd - 1), ad.shape) if a.requires_grad else None
        log_a = array_module(ad).log(ad)
        gb = unbroadcast(g * out * log_a, bd.shape) if b.requires_grad else None
        return ga, gb

    return make_result(out, (a, b), backward)


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` (NumPy rules, batch dims broadcast); ``da = g @ b^T``, ``db = a^T @ g``."""
    a, b = _operands(a, b)
    ad, bd = a.array, b.array
    _same_float_dtype(ad, bd, "matmul")
    if ad.ndim == 0 or bd.ndim == 0:
        raise ShapeError("both arguments to matmul need to be at least 1D, but they are "
                         f"{ad.ndim}D and {bd.ndim}D")
    if ad.shape[-1] != bd.shape[-2 if bd.ndim > 1 else 0]:
        raise _product_error(ad.shape, bd.shape)
    xp = array_module(ad)

    def backward(g: Array) -> tuple[Array | None, Array | None]:
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

    try:
        out = ad @ bd
    except ValueError:  # batch dimensions that do not broadcast
        raise ShapeError(f"The size of tensor a ({ad.shape[:-2]}) must match the size of "
                         f"tensor b ({bd.shape[:-2]}) at non-singleton dimension") from None
    return make_result(out, (a, b), backward)


def _product_error(a: tuple[int, ...], b: tuple[int, ...]) -> ShapeError:
    """PyTorch's words for a matrix product of mismatched sizes (leading dimensions of ``a``
    folded into its rows, as PyTorch's message shows them)."""
    if len(a) == 1 and len(b) == 1:
        return ShapeError(f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] "
                          f"to have the same number of elements, but got {a[0]} and {b[0]} "
                          "elements respectively")
    if len(a) == 2 and len(b) == 1:
        return ShapeError(f"size mismatch, got input ({a[0]}), mat ({a[0]}x{a[1]}), "
                          f"vec ({b[0]})")
    rows = int(host.prod(a[:-1])) if len(a) > 1 else 1
    b_rows, b_cols = (b[-2], b[-1]) if len(b) > 1 else (b[0], 1)
    return ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} and "
                      f"{b_rows}x{b_cols})")


def _same_float_dtype(a: Array, b: Array, op: str) -> None:
    """PyTorch's rule: a matrix product of two floating-point dtypes needs them equal.

    So float64 data fed to a float32 model raises instead of silently computing in float64;
    cast the input (``x.float()``) or the model (``model.double()``).
    """
    if a.dtype != b.dtype and dtype_kind(a) == "f" and dtype_kind(b) == "f":
        raise RuntimeError(f"{op}: mat1 and mat2 must have the same dtype, but got {a.dtype} "
                           f"and {b.dtype} (cast with .float() / .double(), or the model "
                           "with model.to(dtype))")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fused affine map ``y = x @ W^T + b`` (PyTorch's layout: ``W`` is ``(out, in)``).

    Backward: ``dx = g @ W``, ``dW = g^T @ x``, ``db = sum_rows(g)``; ``dx`` is skipped when
    ``x`` needs no gradient (the network's input), which saves the largest matmul.
    """
    xd, wd = x.array, weight.array
    check_same_device(xd, wd, *(() if bias is None else (bias.array,)))
    _same_float_dtype(xd, wd, "linear")
    if xd.ndim == 0 or xd.shape[-1] != wd.shape[-1]:
        raise _product_error(xd.shape or (1,), wd.shape[::-1])
    lead = xd.shape[:-1]
    x2 = xd if xd.ndim == 2 else xd.reshape(-1, xd.shape[-1])
    # a big product on a single-threaded BLAS is split over two cores (chunk_workers)
    out = split_matmul(x2, wd.T) if fast_kernels(x2) else x2 @ wd.T
    if bias is not None:
        out += bias.array  # `out` is fresh: adding in place saves a temporary

    def backward(g: Array) -> tuple[Array | None, ...]:
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        product = split_matmul if fast_kernels(g2) else _matmul
        gx = product(g2, wd).reshape(xd.shape) if x.requires_grad else None
        gw = product(g2.T, x2) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)

    if xd.ndim != 2:
        out = out.reshape(*lead, wd.shape[0])
    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_result(out, parents, backward)


def _matmul(a: Array, b: Array) -> Array:
    return a @ b


def exp(x: Tensor) -> Tensor:
    """``e^x``; ``dx = g * e^x``."""
    out = array_module(x.array).exp(x.array)
    return make_result(out, (x,), lambda g: (g * out,))


def log(x: Tensor) -> Tensor:
    """``ln x``; ``dx = g / x``."""
    xd = x.array
    return make_result(array_module(xd).log(xd), (x,), lambda g: (g / xd,))


def sqrt(x: Tensor) -> Tensor:
    """``sqrt(x)``; ``dx = g / (2 sqrt(x))``."""
    out = array_module(x.array).sqrt(x.array)
    return make_result(out, (x,), lambda g: (g / (2 * out),))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    """``|x|``; ``dx = g * sign(x)`` (0 at 0)."""
    xd = x.array
    xp = array_module(xd)
    return make_result(xp.abs(xd), (x,), lambda g: (g * xp.sign(xd),))


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """``x`` limited to ``[min, max]``; ``dx = g`` where ``x`` was inside, else 0."""
    xd = x.array
    out = array_module(xd).clip(xd, min, max)
    return make_result(out, (x,), lambda g: (g * (out == xd),))


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise ``max(a, b)``; the gradient goes to the larger (to ``a`` on ties)."""
    a, b = _operands(a, b)
    pick = a.array >= b.array

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g * pick, a.array.shape) if a.requires_grad else None,
                unbroadcast(g * ~pick, b.array.shape) if b.requires_grad else None)

    return make_result(array_module(pick).where(pick, a.array, b.array), (a, b), backward)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (broadcasting); ``da = g * condition``,
    ``db = g * ~condition``, each summed over broadcast axes."""
    pick = condition.array if isinstance(condition, Tensor) else xp.asarray(condition)
    pick = pick.astype(bool, copy=False)
    a, b = _operands(a, b)

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        return (unbroadcast(g * pick, a.array.shape) if a.requires_grad else None,
                unbroadcast(g * ~pick, b.array.shape) if b.requires_grad else None)

    return make_result(array_module(pick, a.array).where(pick, a.array, b.array), (a, b),
                       backward)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise ``min(a, b)`` (``-max(-a, -b)``)."""
    return neg(maximum(neg(operand(a)), neg(operand(b))))
