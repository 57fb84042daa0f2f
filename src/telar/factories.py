"""Tensor factories with PyTorch's names: ``telar.zeros``, ``telar.randn``, ``telar.arange``,
``telar.from_numpy``... (PyTorch's top-level functions on tensors, ``telar.cat`` and the like,
are in :mod:`telar.tensor_functions`; the dtype names in :mod:`telar.engine.dtypes`).

Floating-point factories default to float32, PyTorch's default dtype; random ones draw from
``generator`` or else telar's default generator (see :mod:`telar.engine.random`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from telar.engine import Tensor, tensor
from telar.engine.array import Array, xp
from telar.engine.devices import as_device
from telar.engine.dtypes import bool, float32, int64
from telar.engine.random import as_rng


def _shape(size: Sequence[Any]) -> tuple[builtins.int, ...]:
    if len(size) == 1 and isinstance(size[0], Sequence):
        size = tuple(size[0])
    return tuple(builtins.int(n) for n in size)


def _leaf(array: Array, requires_grad: builtins.bool, device: Any) -> Tensor:
    """A leaf made on the host (random draws included: a seed gives the same values on
    every device), then moved to ``device``."""
    target = as_device(device)
    return Tensor(array if target is None else target.put(array), requires_grad=requires_grad)


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
    draws = as_rng(generator).standard_normal(_shape(size), dtype=xp.dtype(dtype or float32))
    return _leaf(draws, requires_grad, device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Draws of ``N(mean, std^2)``: ``normal(0.0, 1.0, size=(2, 3))`` (float32), or one draw per
    element when ``mean`` and/or ``std`` are tensors (their broadcast shape and dtype)."""
    means = mean.array if isinstance(mean, Tensor) else xp.asarray(mean)
    stds = std.array if isinstance(std, Tensor) else xp.asarray(std)
    if means.ndim or stds.ndim:
        if size is not None:
            raise TypeError("normal(): size is only for a float mean and std")
        shape = xp.broadcast_shapes(means.shape, stds.shape)
        dtype = dtype or xp.result_type(*(t.array for t in (mean, std)
                                          if isinstance(t, Tensor)))
    else:
        if size is None:
            raise TypeError("normal(): with a float mean and std, give size=(...)")
        shape = _shape((size,))
    if xp.any(stds < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(xp.min(stds))}")
    dtype = xp.dtype(dtype or float32)
    draws = as_rng(generator).standard_normal(shape) * stds + means
    return _leaf(draws.astype(dtype), requires_grad, device)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """Uniform draws in ``[0, 1)``."""
    draws = as_rng(generator).random(_shape(size), dtype=xp.dtype(dtype or float32))
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
        whole = all(isinstance(v, builtins.int | xp.integer) for v in (start, end, step))
        dtype = int64 if whole else float32
    return _leaf(xp.arange(start, end, step).astype(dtype), requires_grad, device)


def linspace(start: Any, end: Any, steps: builtins.int, *, dtype: Any = None,
             device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.linspace(start, end, steps).astype(dtype or float32), requires_grad, device)


def eye(n: builtins.int, m: builtins.int | None = None, *, dtype: Any = None,
        device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    return _leaf(xp.eye(n, m, dtype=dtype or float32), requires_grad, device)


def _like(x: Any, dtype: Any) -> tuple[tuple[builtins.int, ...], Any]:
    data = x.array if isinstance(x, Tensor) else xp.asarray(x)
    return data.shape, dtype or data.dtype


def _where(x: Any, device: Any) -> Any:
    """``device``, else the device of the tensor ``x`` (``zeros_like`` of a GPU tensor is on
    the GPU, as in PyTorch)."""
    return device if device is not None or not isinstance(x, Tensor) else x.device


def zeros_like(x: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.zeros(shape, kind), requires_grad, _where(x, device))


def ones_like(x: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.ones(shape, kind), requires_grad, _where(x, device))


def empty_like(x: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.empty(shape, kind), requires_grad, _where(x, device))


def full_like(x: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return _leaf(xp.full(shape, fill_value, kind), requires_grad, _where(x, device))


def rand_like(x: Any, *, generator: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return rand(shape, generator=generator, dtype=kind, device=_where(x, device),
                requires_grad=requires_grad)


def randn_like(x: Any, *, generator: Any = None, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    shape, kind = _like(x, dtype)
    return randn(shape, generator=generator, dtype=kind, device=_where(x, device),
                 requires_grad=requires_grad)


def from_numpy(array: Array) -> Tensor:
    """A tensor sharing ``array``'s memory (changes to one show in the other)."""
    if not isinstance(array, Array):
        raise TypeError(f"from_numpy expects an ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with an ndarray of the right dtype."""
    target = as_device(device)
    if isinstance(data, Tensor):
        out = data if dtype is None else data.to(dtype)
    elif isinstance(data, Array):
        out = Tensor(data if dtype is None else data.astype(dtype, copy=False))
    else:
        out = tensor(data, dtype=dtype)
    return out if target is None else out.to(target)


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> builtins.int:
    return x.numel()


__all__ = ["zeros", "ones", "empty", "full", "randn", "normal", "rand", "randint", "randperm",
           "arange",
           "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
           "randn_like", "from_numpy", "as_tensor", "is_tensor", "numel"]
