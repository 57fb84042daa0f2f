"""PyTorch's top-level functions on tensors: ``telar.cat``, ``telar.stack``, ``telar.sum``,
``telar.argmax``, ``telar.matmul``, ``telar.relu``... (``torch.cat(...)`` and the like).

Each is a tensor method or an engine operation under PyTorch's name and arguments; a non-tensor
argument (a list, an array) is taken as a constant tensor.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from telar.engine import Tensor
from telar.engine import functional as F
from telar.engine.array import array_module, xp


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# Top-level ops (``torch.cat``, ``torch.flatten``...): the Tensor methods as functions.
def cat(tensors: Sequence[Any], dim: builtins.int = 0, *, axis: Any = None) -> Tensor:
    return F.concatenate(tensors, dim if axis is None else axis)


concat = concatenate = cat


def stack(tensors: Sequence[Any], dim: builtins.int = 0) -> Tensor:
    return F.stack(tensors, dim)


def flatten(x: Tensor, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
    return F.flatten(_t(x), start_dim, end_dim)


def argmax(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Tensor:
    return _t(x).argmax(dim, keepdim, **kw)


def argmin(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Tensor:
    return _t(x).argmin(dim, keepdim, **kw)


def max(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(x).max(dim, keepdim, **kw)


def min(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(x).min(dim, keepdim, **kw)


def sum(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Tensor:  # noqa: A001
    return _t(x).sum(dim, keepdim, **kw)


def mean(x: Tensor, dim: Any = None, keepdim: builtins.bool = False, **kw: Any) -> Tensor:
    return _t(x).mean(dim, keepdim, **kw)


def _into(result: Tensor, out: Tensor | None) -> Tensor:
    """``out=``: the result written into ``out``'s memory (resized when its shape differs, as
    PyTorch does), which is returned; not differentiable, as in PyTorch."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= must be a Tensor, got {type(out).__name__}")
    if out.requires_grad:
        raise RuntimeError("out= arguments don't support automatic differentiation, but one "
                           "of the arguments requires grad.")
    if out.array.shape == result.array.shape:
        xp.copyto(out.array, result.array, casting="same_kind")
    else:
        out.array = result.array.astype(out.array.dtype, copy=True)
    return out


def matmul(a: Any, b: Any, *, out: Tensor | None = None) -> Tensor:
    return _into(F.matmul(a, b), out)


def mm(a: Tensor, b: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _into(_t(a).mm(b), out)


def bmm(a: Tensor, b: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _into(_t(a).bmm(b), out)


def mul(a: Any, b: Any, *, out: Tensor | None = None) -> Tensor:
    return _into(F.mul(a, b), out)


multiply = mul


def add(a: Any, b: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    return _into(F.add(a, b * alpha if alpha != 1 else b), out)


def sub(a: Any, b: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    return _into(F.sub(a, b * alpha if alpha != 1 else b), out)


def div(a: Any, b: Any, *, out: Tensor | None = None) -> Tensor:
    return _into(F.div(a, b), out)


def pow(a: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    return _into(F.pow(a, exponent), out)


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False,
         dtype: Any = None) -> Tensor:
    return _t(x).norm(p, dim, keepdim, dtype)


def round(x: Tensor, *, decimals: builtins.int = 0) -> Tensor:  # noqa: A001
    return F.round(_t(x), decimals)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D tensors: output ``i`` varies along dimension ``i``
    (``indexing="ij"``, PyTorch's default) or, for the first two, ``"xy"`` swaps them.
    Differentiable: each grid is its input broadcast, so its gradient sums back."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"  # PyTorch's default (it warns that it will change; it has not)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [_t(t) for t in tensors]
    for t in ts:
        if t.array.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.array.ndim}D")
    ts = [F.reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0, *range(2, len(ts))] if swap else list(range(len(ts)))
    sizes = [ts[i].array.shape[0] for i in order]
    grids = []
    for position, i in enumerate(order):
        shape = [1] * len(ts)
        shape[position] = sizes[position]
        zeros = xp.zeros(sizes, dtype=ts[i].array.dtype)
        grids.append((i, F.add(F.reshape(ts[i], tuple(shape)), zeros)))
    return tuple(grid for _, grid in sorted(grids, key=lambda pair: pair[0]))


def exp(x: Tensor) -> Tensor:
    return F.exp(_t(x))


def log1p(x: Tensor) -> Tensor:
    return F.log1p(_t(x))


def expm1(x: Tensor) -> Tensor:
    return F.expm1(_t(x))


def sin(x: Tensor) -> Tensor:
    return F.sin(_t(x))


def cos(x: Tensor) -> Tensor:
    return F.cos(_t(x))


def tan(x: Tensor) -> Tensor:
    return F.tan(_t(x))


def asin(x: Tensor) -> Tensor:
    return F.asin(_t(x))


def acos(x: Tensor) -> Tensor:
    return F.acos(_t(x))


def atan(x: Tensor) -> Tensor:
    return F.atan(_t(x))


def sinh(x: Tensor) -> Tensor:
    return F.sinh(_t(x))


def cosh(x: Tensor) -> Tensor:
    return F.cosh(_t(x))


def asinh(x: Tensor) -> Tensor:
    return F.asinh(_t(x))


def acosh(x: Tensor) -> Tensor:
    return F.acosh(_t(x))


def atanh(x: Tensor) -> Tensor:
    return F.atanh(_t(x))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def log(x: Tensor) -> Tensor:
    return F.log(_t(x))


def sqrt(x: Tensor) -> Tensor:
    return F.sqrt(_t(x))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return F.abs(_t(x))


def relu(x: Tensor) -> Tensor:
    return F.relu(_t(x))


def sigmoid(x: Tensor) -> Tensor:
    return F.sigmoid(_t(x))


def tanh(x: Tensor) -> Tensor:
    return F.tanh(_t(x))


def softmax(x: Tensor, dim: builtins.int) -> Tensor:
    return F.softmax(_t(x), dim)


def log_softmax(x: Tensor, dim: builtins.int) -> Tensor:
    return F.log_softmax(_t(x), dim)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return F.clamp(_t(x), min, max)


def reshape(x: Tensor, shape: Sequence[builtins.int]) -> Tensor:
    return F.reshape(_t(x), tuple(shape))


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    return F.squeeze(_t(x), dim)


def unsqueeze(x: Tensor, dim: builtins.int) -> Tensor:
    return F.unsqueeze(_t(x), dim)


def transpose(x: Tensor, dim0: builtins.int, dim1: builtins.int) -> Tensor:
    return _t(x).transpose(dim0, dim1)


def permute(x: Tensor, dims: Sequence[builtins.int]) -> Tensor:
    return _t(x).permute(*dims)


def maximum(a: Any, b: Any) -> Tensor:
    return F.maximum(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    return F.minimum(a, b)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``torch.where(condition, input, other)``; ``torch.where(condition)``: the indices of
    the true values, one int64 tensor per dimension."""
    if input is None and other is None:
        cond = condition.array if isinstance(condition, Tensor) else xp.asarray(condition)
        return tuple(Tensor(i.astype(xp.int64)) for i in xp.nonzero(cond))
    return F.where(condition, input, other)


def eq(a: Tensor, b: Any) -> Tensor:
    return _t(a) == b


def equal(a: Tensor, b: Any) -> builtins.bool:
    return _t(a).equal(b)


def allclose(a: Any, b: Any, rtol: builtins.float = 1e-5,
             atol: builtins.float = 1e-8) -> builtins.bool:
    a, b = (v.array if isinstance(v, Tensor) else v for v in (a, b))
    xp = array_module(a, b)  # both on the GPU, or both on the host
    return builtins.bool(xp.allclose(xp.asarray(a), xp.asarray(b), rtol=rtol, atol=atol))



__all__ = ["cat", "concat", "concatenate", "stack", "flatten", "argmax", "argmin", "max", "min",
           "sum", "mean", "matmul", "mm", "bmm", "mul", "multiply", "add", "sub", "div", "pow",
           "norm", "round", "meshgrid", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
           "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
           "arcsinh", "arccosh", "arctanh", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh",
           "softmax", "log_softmax", "clamp", "reshape", "squeeze", "unsqueeze", "transpose",
           "permute", "maximum", "minimum", "where", "eq", "equal", "allclose"]
