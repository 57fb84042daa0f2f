"""Tensor factories and top-level ops with PyTorch's names (``telar.zeros``, ``telar.randn``,
``telar.cat``, ``telar.argmax``, ...), and the dtype names (``telar.float32``, ``telar.long``).

Floating-point factories default to float32, PyTorch's default dtype; random ones draw from
``generator`` or else telar's default generator (see :mod:`telar.random`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from telar import functional as F
from telar.autograd import Tensor, tensor
from telar.backend import xp
from telar.devices import check_device
from telar.random import as_rng

# dtypes: NumPy's scalar types, so `x.dtype == telar.float32` and `np.zeros(3, telar.long)` work.
float32 = float = np.float32  # noqa: A001 - PyTorch's names
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32  # noqa: A001
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_  # noqa: A001
dtype = np.dtype
DTYPES = ("float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32",
          "int", "int16", "short", "int8", "uint8", "bool")


def _shape(size: Sequence[Any]) -> tuple[builtins.int, ...]:
    if len(size) == 1 and isinstance(size[0], Sequence):
        size = tuple(size[0])
    return tuple(builtins.int(n) for n in size)


def _leaf(array: np.ndarray, requires_grad: builtins.bool, device: Any) -> Tensor:
    check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.zeros(_shape(size), dtype or float32), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.ones(_shape(size), dtype or float32), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.empty(_shape(size), dtype or float32), requires_grad, device)


def full(size: Sequence[builtins.int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (float32, int64 or bool)."""
    if dtype is None:
        dtype = bool if isinstance(fill_value, builtins.bool) else \
            int64 if isinstance(fill_value, builtins.int) else float32
    return _leaf(xp.full(_shape((size,)), fill_value, dtype), requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: builtins.bool = False) -> Tensor:
    """Standard normal draws ``N(0, 1)``."""
    draws = as_rng(generator).standard_normal(_shape(size), dtype=np.dtype(dtype or float32))
    return _leaf(draws, requires_grad, device)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """Uniform draws in ``[0, 1)``."""
    draws = as_rng(generator).random(_shape(size), dtype=np.dtype(dtype or float32))
    return _leaf(draws, requires_grad, device)


def randint(low: builtins.int, high: builtins.int | None = None, size: Any = None, *,
            generator: Any = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in ``[low, high)`` (``randint(high, size)`` draws from ``[0, high)``)."""
    if size is None:
        low, high, size = 0, low, high
    draws = as_rng(generator).integers(low, high, size=_shape((size,)))
    return _leaf(draws.astype(dtype or int64), False, device)


def randperm(n: builtins.int, *, generator: Any = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    return _leaf(as_rng(generator).permutation(n).astype(dtype or int64), False, device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: builtins.bool = False) -> Tensor:
    """``[start, end)`` by ``step``; int64 when all of them are ints, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        whole = all(isinstance(v, builtins.int | np.integer) for v in (start, end, step))
        dtype = int64 if whole else float32
    return _leaf(xp.arange(start, end, step).astype(dtype), requires_grad, device)


def linspace(start: Any, end: Any, steps: builtins.int, *, dtype: Any = None,
             device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.linspace(start, end, steps).astype(dtype or float32), requires_grad, device)


def eye(n: builtins.int, m: builtins.int | None = None, *, dtype: Any = None,
        device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.eye(n, m, dtype=dtype or float32), requires_grad, device)


def _like(x: Any, dtype: Any) -> tuple[tuple[builtins.int, ...], Any]:
    data = x.data if isinstance(x, Tensor) else xp.asarray(x)
    return data.shape, dtype or data.dtype


def zeros_like(x: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.zeros(shape, kind), requires_grad, device)


def ones_like(x: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.ones(shape, kind), requires_grad, device)


def empty_like(x: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.empty(shape, kind), requires_grad, device)


def full_like(x: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.full(shape, fill_value, kind), requires_grad, device)


def rand_like(x: Any, *, generator: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return rand(shape, generator=generator, dtype=kind, device=device,
                requires_grad=requires_grad)


def randn_like(x: Any, *, generator: Any = None, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return randn(shape, generator=generator, dtype=kind, device=device,
                 requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with an ndarray of the right dtype."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        return Tensor(data if dtype is None else data.astype(dtype, copy=False))
    return tensor(data, dtype=dtype)


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> builtins.int:
    return x.numel()


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
    return builtins.bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol))


__all__ = [
    "float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
    "int16", "short", "int8", "uint8", "bool", "dtype", "zeros", "ones", "empty", "full", "randn",
    "rand", "randint", "randperm", "arange", "linspace", "eye", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "from_numpy", "as_tensor", "is_tensor",
    "numel", "cat", "stack", "flatten", "argmax", "argmin", "max", "min", "sum", "mean", "matmul",
    "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "clamp",
    "reshape", "squeeze", "unsqueeze", "transpose", "permute", "maximum", "minimum", "eq", "equal",
    "allclose", "concat", "concatenate", "mm",
]
