"""The PyTorch side of :class:`telar.Tensor`: the methods PyTorch scripts call.

Comparisons (element-wise, bool tensors), conversions (``item``, ``float``, ``type``, ``to``,
``long``...), reductions with ``dim``/``keepdim`` (``axis``/``keepdims`` as aliases),
``max/min(dim)`` returning ``(values, indices)``, ``argmax``, shape methods (``view``,
``flatten``, ``permute``, ``transpose(d0, d1)``...), in-place updates under ``no_grad()``.
Each forwards to a differentiable primitive of :mod:`telar.functional`, or returns a constant
(comparisons, indices). :class:`telar.autograd.Tensor` inherits them; the core (data, grad,
backward, arithmetic) stays in :mod:`telar.autograd`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from telar.backend import xp

if TYPE_CHECKING:
    from telar.autograd import Tensor

# Bound by telar.autograd once Tensor exists (the two modules need each other).
_ag: Any = None
F: Any = None
constant: Any = None


def _bind(autograd_module: Any, functional_module: Any) -> None:
    global _ag, F, constant, Tensor
    _ag, F, constant = autograd_module, functional_module, autograd_module.constant
    Tensor = autograd_module.Tensor  # noqa: F811 - the runtime class for isinstance checks


class TensorMethods:
    """PyTorch's tensor methods; mixed into :class:`telar.autograd.Tensor`."""

    __slots__ = ()

    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple (``x.size()``), or one of its sizes (``x.size(1)``).

        PyTorch's method, not NumPy's attribute: the number of values is :meth:`numel`.
        """
        return self.data.shape if dim is None else self.data.shape[dim]

    @property
    def device(self) -> Any:
        from telar.devices import CPU

        return CPU

    is_cuda = False

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(tensor)`` gives the values (as ``torch.Tensor.__array__`` does)."""
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def _one_value(self, what: str) -> Any:
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted "
                               f"to {what}")
        return self.data.reshape(()).item()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self._one_value("a Python scalar")

    def __float__(self) -> float:
        return float(self._one_value("float"))

    def __int__(self) -> int:
        return int(self._one_value("int"))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} values is "
                               "ambiguous")
        return bool(self.data.reshape(()).item())

    def __index__(self) -> int:
        if self.data.size != 1 or self.data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.data.reshape(()).item())

    def __format__(self, spec: str) -> str:
        if self.data.size == 1 and self.data.ndim == 0:
            return format(self.data.item(), spec)
        return format(repr(self), spec)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking of this leaf on or off, in place; returns ``self``."""
        if requires_grad and not xp.issubdtype(self.data.dtype, xp.floating):
            raise RuntimeError("only floating-point tensors can require gradients, "
                               f"got {self.data.dtype}")
        if not requires_grad and self._backward is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    # ----------------------------------------------------------------- dtypes and devices
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        Only the CPU exists; another device raises. A dtype change is differentiable.
        """
        from telar.devices import to_arguments

        dtype = to_arguments(args, kwargs)
        return self if dtype is None else F.cast(self, dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        from telar.devices import check_device

        check_device("cuda")
        return self

    def type(self, dtype: Any = None) -> Any:
        """Without ``dtype``: the type name (``"telar.FloatTensor"``); with it: a cast copy."""
        if dtype is None:
            return f"telar.{_TYPE_NAMES.get(self.data.dtype.name, 'Tensor')}"
        return F.cast(self, dtype)

    def float(self) -> Tensor:  # noqa: A003 - PyTorch's name
        return F.cast(self, xp.float32)

    def double(self) -> Tensor:
        return F.cast(self, xp.float64)

    def long(self) -> Tensor:
        return F.cast(self, xp.int64)

    def int(self) -> Tensor:  # noqa: A003
        return F.cast(self, xp.int32)

    def bool(self) -> Tensor:  # noqa: A003
        return F.cast(self, xp.bool_)

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back to ``self``."""
        return F.cast(self, self.data.dtype, copy=True)

    def zero_(self) -> Tensor:
        """Set every value to 0, in place (on a leaf, or under ``no_grad()``)."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        self._check_inplace()
        self.data[...] = value
        return self

    def _check_inplace(self) -> None:
        if _ag.is_grad_enabled() and self.requires_grad:
            raise RuntimeError("a leaf Tensor that requires grad is being used in an in-place "
                               "operation (wrap the update in telar.no_grad())")

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace()
        if isinstance(index, Tensor):
            index = index.data
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # In place (``x -= lr * g``): on the data under no_grad() or for tensors without
    # gradients; an interior node of a graph gets a new tensor instead (Python rebinds it).
    def _inplace(self, other: Any, op: Callable[..., Any], ufunc: np.ufunc) -> Tensor:
        if _ag.is_grad_enabled() and self.requires_grad:
            if self._backward is None:
                self._check_inplace()
            return op(self, other)
        ufunc(self.data, other.data if isinstance(other, Tensor) else other, out=self.data,
              casting="same_kind")
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(other, F.add, xp.add)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(other, F.sub, xp.subtract)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(other, F.mul, xp.multiply)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(other, F.div, xp.true_divide)

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self.__iadd__(other * alpha if alpha != 1.0 else other)

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self.__isub__(other * alpha if alpha != 1.0 else other)

    def mul_(self, other: Any) -> Tensor:
        return self.__imul__(other)

    # Comparisons: element-wise, bool tensors with no gradient (never an identity check).
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return constant(xp.asarray(self.data == _values(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return constant(xp.asarray(self.data != _values(other)))

    def __lt__(self, other: Any) -> Tensor:
        return constant(xp.asarray(self.data < _values(other)))

    def __le__(self, other: Any) -> Tensor:
        return constant(xp.asarray(self.data <= _values(other)))

    def __gt__(self, other: Any) -> Tensor:
        return constant(xp.asarray(self.data > _values(other)))

    def __ge__(self, other: Any) -> Tensor:
        return constant(xp.asarray(self.data >= _values(other)))

    def __invert__(self) -> Tensor:
        return constant(~self.data)

    def __and__(self, other: Any) -> Tensor:
        return constant(self.data & _values(other))

    def __or__(self, other: Any) -> Tensor:
        return constant(self.data | _values(other))

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    def ne(self, other: Any) -> Tensor:
        return self.__ne__(other)

    def lt(self, other: Any) -> Tensor:
        return self.__lt__(other)

    def le(self, other: Any) -> Tensor:
        return self.__le__(other)

    def gt(self, other: Any) -> Tensor:
        return self.__gt__(other)

    def ge(self, other: Any) -> Tensor:
        return self.__ge__(other)

    def equal(self, other: Any) -> bool:
        other = _values(other)
        return self.data.shape == np.shape(other) and bool(xp.all(self.data == other))

    # ----------------------------------------------------------------- reductions
    # ``dim``/``keepdim`` are PyTorch's names; NumPy's ``axis``/``keepdims`` are aliases.
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
            axis: Any = None, keepdims: bool | None = None) -> Tensor:
        out = F.sum(self, _dim(dim, axis), _keep(keepdim, keepdims))
        return out if dtype is None else F.cast(out, dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
             axis: Any = None, keepdims: bool | None = None) -> Tensor:
        x = self if dtype is None else F.cast(self, dtype)
        if not xp.issubdtype(x.data.dtype, xp.floating):
            raise RuntimeError(f"mean() needs a floating-point tensor, got {x.data.dtype} "
                               "(use .float() first)")
        return F.mean(x, _dim(dim, axis), _keep(keepdim, keepdims))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """No ``dim``: the largest value. ``max(dim)``: ``(values, indices)`` along ``dim``.
        ``max(other_tensor)``: the element-wise maximum."""
        if isinstance(dim, Tensor):
            return F.maximum(self, dim)
        return _extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), F.max, xp.argmax,
                        MaxResult)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """As :meth:`max`, for the smallest value."""
        if isinstance(dim, Tensor):
            return F.minimum(self, dim)
        return _extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), F.min, xp.argmin,
                        MinResult)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the largest value (of the flattened tensor when ``dim`` is None), int64."""
        return _arg(self.data, _dim(dim, axis), _keep(keepdim, keepdims), xp.argmax)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        return _arg(self.data, _dim(dim, axis), _keep(keepdim, keepdims), xp.argmin)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return F.clamp(self, min, max)

    def relu(self) -> Tensor:
        return F.relu(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def softmax(self, dim: int) -> Tensor:
        return F.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return F.log_softmax(self, dim)

    # ----------------------------------------------------------------- shapes
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def view(self, *shape: Any) -> Tensor:
        """Another shape over the same values (``-1`` infers one size); ``view(dtype)`` is
        not supported."""
        return self.reshape(*shape)

    def view_as(self, other: Tensor) -> Tensor:
        return F.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return F.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return F.transpose(self, tuple(d % max(self.data.ndim, 1) for d in dims))

    def transpose(self, *axes: int) -> Tensor:
        """``transpose(dim0, dim1)`` swaps two dimensions (PyTorch); ``transpose()`` reverses
        them all and ``transpose(*permutation)`` permutes them (NumPy)."""
        if len(axes) == 2:
            order = list(range(self.data.ndim))
            a, b = (d % self.data.ndim for d in axes)
            order[a], order[b] = order[b], order[a]
            return F.transpose(self, tuple(order))
        return F.transpose(self, axes or None)

    def t(self) -> Tensor:
        return F.transpose(self, None)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        return F.transpose(self, None)


MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "float16": "HalfTensor", "int16": "ShortTensor", "int8": "CharTensor"}


def _is_dtype(value: Any) -> bool:
    if isinstance(value, np.dtype):
        return True
    if isinstance(value, type) and issubclass(value, np.generic):
        return True
    return value in (float, int, bool)


def _values(other: Any) -> Any:
    return other.data if isinstance(other, Tensor) else other


def _dim(dim: Any, axis: Any) -> Any:
    if dim is None:
        dim = axis
    return tuple(dim) if isinstance(dim, list) else dim


def _keep(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def _arg(data: np.ndarray, dim: int | None, keepdim: bool, fn: Callable[..., Any]) -> Tensor:
    if dim is None:
        out = xp.asarray(fn(data), dtype=xp.int64)
        return constant(out.reshape((1,) * data.ndim) if keepdim else out)
    return constant(xp.asarray(fn(data, axis=dim, keepdims=keepdim), dtype=xp.int64))


def _extreme(x: Tensor, dim: Any, keepdim: bool, reduce: Callable[..., Tensor],
             arg: Callable[..., Any], result: type) -> Any:
    if dim is None:
        return reduce(x, None, False)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"max/min take one dim as an int, got {dim!r}")
    index = xp.asarray(arg(x.data, axis=dim, keepdims=True), dtype=xp.int64)
    values = F.gather(x, dim, index)
    if not keepdim:
        values = F.squeeze(values, dim)
        index = index.squeeze(dim)
    return result(values, constant(index))
