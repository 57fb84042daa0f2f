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
from telar.engine.array import array_module


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


def matmul(a: Any, b: Any) -> Tensor:
    return F.matmul(a, b)


mm = matmul


def exp(x: Tensor) -> Tensor:
    return F.exp(_t(x))


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


def eq(a: Tensor, b: Any) -> Tensor:
    return _t(a) == b


def equal(a: Tensor, b: Any) -> builtins.bool:
    return _t(a).equal(b)


def allclose(a: Any, b: Any, rtol: builtins.float = 1e-5,
             atol: builtins.float = 1e-8) -> builtins.bool:
    a, b = (v.data if isinstance(v, Tensor) else v for v in (a, b))
    xp = array_module(a, b)  # both on the GPU, or both on the host
    return builtins.bool(xp.allclose(xp.asarray(a), xp.asarray(b), rtol=rtol, atol=atol))



__all__ = ["cat", "concat", "concatenate", "stack", "flatten", "argmax", "argmin", "max", "min",
           "sum", "mean", "matmul", "mm", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh",
           "softmax", "log_softmax", "clamp", "reshape", "squeeze", "unsqueeze", "transpose",
           "permute", "maximum", "minimum", "eq", "equal", "allclose"]
