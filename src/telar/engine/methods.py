"""The methods of :class:`Tensor` that compute: operators, reductions, shapes, casts.

``x + y``, ``x @ w``, ``x.sum(dim=1)``, ``x.view(-1, 784)``, ``x.float()``, ``x == y``,
``x -= lr * g``... each forwards to an operation of the engine (``F``), or, for comparisons
and indices, returns a constant. PyTorch's names and arguments: reductions take
``dim``/``keepdim`` (NumPy's ``axis``/``keepdims`` too), ``max(dim)`` returns
``(values, indices)``, ``transpose(d0, d1)`` swaps two dimensions, in-place updates work
under ``no_grad()``.

Why they are joined to the class here: the operations build tensors, so they import
:mod:`telar.engine.tensor`; were the class to import them in turn, the two modules would need
each other. So :class:`Tensor` holds the value, its gradient and ``backward()``, and its
computing methods are defined below as :class:`TensorMethods` and set on the class once, when
the engine is imported (DeZero's ``setup_variable`` does the same).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator
from typing import Any

from telar.engine import functional as F
from telar.engine.array import Array, array_module, host, xp
from telar.engine.devices import CPU, as_device, to_arguments
from telar.engine.dtypes import TYPE_NAMES
from telar.engine.grad_fn import grad_fn_of
from telar.engine.grad_mode import is_grad_enabled
from telar.engine.tensor import Tensor, constant
from telar.engine.tensor_types import legacy_dtype


class TensorMethods:
    """The methods of :class:`~telar.engine.tensor.Tensor` that compute a new tensor; the
    loop at the end of this module gives them to the class."""

    # ----------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return F.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    def __iter__(self) -> Iterator[Tensor]:
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.array)))

    # ----------------------------------------------------------------- dtypes and devices
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        ``"cuda"`` needs CuPy and a GPU. Moves and dtype changes are differentiable.
        """
        target, dtype = to_arguments(args, kwargs)
        moved = self if target is None else F.to_device(self, target)
        return moved if dtype is None else F.cast(moved, dtype)

    def cpu(self) -> Tensor:
        """The tensor on the host (itself when it is there)."""
        return F.to_device(self, CPU)

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """The tensor on GPU ``device`` (default 0); needs CuPy and a GPU."""
        return F.to_device(self, as_device("cuda" if device is None else device))

    def type(self, dtype: Any = None) -> Any:
        """Without ``dtype``: the type name (``"telar.FloatTensor"``); with a dtype, a legacy
        type (``telar.FloatTensor``) or its name (``"torch.FloatTensor"``): a cast copy."""
        if dtype is None:
            return f"telar.{TYPE_NAMES.get(self.array.dtype.name, 'Tensor')}"
        return F.cast(self, legacy_dtype(dtype))

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
        return F.cast(self, self.array.dtype, copy=True)

    # In place (``x -= lr * g``): on the data under no_grad() or for tensors without
    # gradients; an interior node of a graph gets a new tensor instead (Python rebinds it).
    def _inplace(self, other: Any, op: Callable[..., Any], ufunc: Callable[..., Any]) -> Tensor:
        if is_grad_enabled() and self.requires_grad:
            if self._backward is None:
                self.check_inplace()
            return op(self, other)
        if isinstance(self.array, xp.generic):  # a 0-d result may hold a NumPy scalar
            self.array = xp.asarray(self.array)
        ufunc = getattr(array_module(self.array), ufunc.__name__)  # NumPy's or CuPy's
        ufunc(self.array, other.array if isinstance(other, Tensor) else other, out=self.array,
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

    def div_(self, other: Any) -> Tensor:
        return self.__itruediv__(other)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """``self[..., index[i][j], ...] = src[i][j]`` along ``dim``, in place (PyTorch's
        ``scatter_``; ``src`` may be a number, e.g. ``zeros(n, 10).scatter_(1, y[:, None], 1)``
        for one-hot rows). Not differentiable: on a leaf, or under ``no_grad()``."""
        self.check_inplace()
        if self._backward is not None:
            raise RuntimeError("scatter_ on a tensor computed by an operation is not supported "
                               "(telar records no in-place operations)")
        source = value if src is None else src
        index = xp.asarray(_values(index))
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"scatter_(): Expected dtype int64 for index, got {index.dtype}")
        if index.ndim != self.array.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self "
                               f"tensor ({index.ndim} != {self.array.ndim})")
        values = _values(source)
        if host.ndim(values):  # a tensor of sources: the block the index covers
            values = xp.asarray(values)[tuple(slice(0, n) for n in index.shape)]
        xp.put_along_axis(self.array, index, xp.asarray(values, dtype=self.array.dtype),
                          axis=dim)
        return self

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """:meth:`scatter_` on a copy (not differentiable)."""
        return constant(self.array.copy()).scatter_(dim, index, src, value=value)

    # ----------------------------------------------------------------- PyTorch's method forms
    def add(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        return F.add(self, other * alpha if alpha != 1.0 else other)

    def sub(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        return F.sub(self, other * alpha if alpha != 1.0 else other)

    def mul(self, other: Any) -> Tensor:
        return F.mul(self, other)

    multiply = mul

    def div(self, other: Any) -> Tensor:
        return F.div(self, other)

    divide = div

    def pow(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def mm(self, other: Any) -> Tensor:
        """Matrix product of two 2-D tensors (PyTorch's ``mm``: no broadcasting)."""
        _check_ndim("mm", self, other, 2)
        return F.matmul(self, other)

    def bmm(self, other: Any) -> Tensor:
        """Batched matrix product of two 3-D tensors ``(b, n, m) @ (b, m, p)``."""
        _check_ndim("bmm", self, other, 3)
        if self.array.shape[0] != other.array.shape[0]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to "
                               f"be: [{self.array.shape[0]}, {self.array.shape[2]}] but got: "
                               f"[{other.array.shape[0]}, {other.array.shape[1]}].")
        return F.matmul(self, other)

    def round(self, decimals: int = 0) -> Tensor:
        return F.round(self, decimals)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False,
             dtype: Any = None) -> Tensor:
        """The ``p``-norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all values when None); ``p``
        2 or ``"fro"`` (the default), 1, ``inf``, ``-inf``, 0 (the count of non-zeros) or any
        number. Differentiable (at a zero vector the 2-norm's gradient is NaN, not 0)."""
        x = self if dtype is None else F.cast(self, dtype)
        dim = _dim(dim, None)
        if p in ("fro", 2, 2.0):
            return F.sqrt(F.sum(x * x, dim, keepdim))
        if p in (float("inf"), "inf"):
            return F.max(F.abs(x), dim, keepdim)
        if p in (float("-inf"), "-inf"):
            return F.min(F.abs(x), dim, keepdim)
        if p == 0:
            return constant(xp.asarray(xp.count_nonzero(x.array, axis=dim, keepdims=keepdim),
                                       dtype=x.array.dtype))
        if p == 1:
            return F.sum(F.abs(x), dim, keepdim)
        if isinstance(p, str):
            raise ValueError(f"norm: p must be a number, 'fro' or inf, got {p!r}")
        return F.pow(F.sum(F.pow(F.abs(x), float(p)), dim, keepdim), 1.0 / float(p))

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """``sum (x - mean)^2 / (n - correction)`` over ``dim`` (all values when None);
        ``correction`` 1 (``unbiased``, PyTorch's default) or 0. Differentiable."""
        dim = _dim(dim, None)
        c = (1.0 if unbiased else 0.0) if correction is None else float(correction)
        axes = range(self.array.ndim) if dim is None else \
            (dim if isinstance(dim, tuple) else (dim,))
        n = 1
        for d in axes:
            n *= self.array.shape[d]
        centred = self - F.mean(self, dim, True)
        return F.sum(centred * centred, dim, keepdim) / max(n - c, 0)

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """``sqrt(var)`` (:meth:`var`)."""
        return F.sqrt(self.var(dim, unbiased, keepdim, correction=correction))

    def ndimension(self) -> int:
        return self.array.ndim

    def nelement(self) -> int:
        return int(self.array.size)

    @property
    def grad_fn(self) -> Any:
        """The node that made this tensor (``None`` for a leaf), named as PyTorch names it:
        ``<AddBackward0 ...>``; ``grad_fn.next_functions`` leads to its inputs' nodes."""
        return grad_fn_of(self) if self._backward is not None else None

    # Comparisons: element-wise, bool tensors with no gradient (never an identity check).
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return constant(_asarray(self.array == _values(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return constant(_asarray(self.array != _values(other)))

    def __lt__(self, other: Any) -> Tensor:
        return constant(_asarray(self.array < _values(other)))

    def __le__(self, other: Any) -> Tensor:
        return constant(_asarray(self.array <= _values(other)))

    def __gt__(self, other: Any) -> Tensor:
        return constant(_asarray(self.array > _values(other)))

    def __ge__(self, other: Any) -> Tensor:
        return constant(_asarray(self.array >= _values(other)))

    def __invert__(self) -> Tensor:
        return constant(~self.array)

    def __and__(self, other: Any) -> Tensor:
        return constant(self.array & _values(other))

    def __or__(self, other: Any) -> Tensor:
        return constant(self.array | _values(other))

    # Comparisons are element-wise, so hashing is by identity, as in PyTorch (sets and dicts
    # of parameters work); set after __eq__, which would otherwise make tensors unhashable.
    __hash__ = object.__hash__

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
        shape = other.shape if hasattr(other, "shape") else host.shape(other)
        return self.array.shape == shape and bool(xp.all(self.array == other))

    # ----------------------------------------------------------------- reductions
    # ``dim``/``keepdim`` are PyTorch's names; NumPy's ``axis``/``keepdims`` are aliases.
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
            axis: Any = None, keepdims: bool | None = None) -> Tensor:
        out = F.sum(self, _dim(dim, axis), _keep(keepdim, keepdims))
        return out if dtype is None else F.cast(out, dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
             axis: Any = None, keepdims: bool | None = None) -> Tensor:
        x = self if dtype is None else F.cast(self, dtype)
        if not xp.issubdtype(x.array.dtype, xp.floating):
            raise RuntimeError(f"mean() needs a floating-point tensor, got {x.array.dtype} "
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
        return _arg(self.array, _dim(dim, axis), _keep(keepdim, keepdims), xp.argmax)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        return _arg(self.array, _dim(dim, axis), _keep(keepdim, keepdims), xp.argmin)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log1p(self) -> Tensor:
        return F.log1p(self)

    def expm1(self) -> Tensor:
        return F.expm1(self)

    def sin(self) -> Tensor:
        return F.sin(self)

    def cos(self) -> Tensor:
        return F.cos(self)

    def tan(self) -> Tensor:
        return F.tan(self)

    def asin(self) -> Tensor:
        return F.asin(self)

    def acos(self) -> Tensor:
        return F.acos(self)

    def atan(self) -> Tensor:
        return F.atan(self)

    def sinh(self) -> Tensor:
        return F.sinh(self)

    def cosh(self) -> Tensor:
        return F.cosh(self)

    def asinh(self) -> Tensor:
        return F.asinh(self)

    def acosh(self) -> Tensor:
        return F.acosh(self)

    def atanh(self) -> Tensor:
        return F.atanh(self)

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
        return F.transpose(self, tuple(d % max(self.array.ndim, 1) for d in dims))

    def transpose(self, *axes: int) -> Tensor:
        """``transpose(dim0, dim1)`` swaps two dimensions (PyTorch); ``transpose()`` reverses
        them all and ``transpose(*permutation)`` permutes them (NumPy)."""
        if len(axes) == 2:
            order = list(range(self.array.ndim))
            a, b = (d % self.array.ndim for d in axes)
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

def _check_ndim(name: str, a: Tensor, b: Any, ndim: int) -> None:
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'mat2' must be Tensor, not {type(b).__name__}")
    for which, t in (("self", a), ("mat2", b)):
        if t.array.ndim != ndim:
            raise RuntimeError(f"{which} must be a {'matrix' if ndim == 2 else '3D tensor'}")


def _values(other: Any) -> Any:
    return other.array if isinstance(other, Tensor) else other


def _dim(dim: Any, axis: Any) -> Any:
    if dim is None:
        dim = axis
    return tuple(dim) if isinstance(dim, list) else dim


def _keep(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def _asarray(a: Any) -> Array:
    """``a`` as an array of its own module (a NumPy comparison of 0-d arrays gives a scalar)."""
    return array_module(a).asarray(a)


def _arg(data: Array, dim: int | None, keepdim: bool, fn: Callable[..., Any]) -> Tensor:
    xp = array_module(data)
    fn = getattr(xp, fn.__name__)  # numpy.argmax -> the array's own module's argmax
    if dim is None:
        out = xp.asarray(fn(data), dtype=xp.int64)
        return constant(out.reshape((1,) * data.ndim) if keepdim else out)
    return constant(xp.asarray(fn(data, axis=dim, keepdims=keepdim), dtype=xp.int64))


def _extreme(x: Tensor, dim: Any, keepdim: bool, reduce: Callable[..., Tensor],
             arg: Callable[..., Any], result: type) -> Any:
    if dim is None:
        return reduce(x, None, False)
    if not isinstance(dim, int | host.integer):
        raise TypeError(f"max/min take one dim as an int, got {dim!r}")
    xp = array_module(x.array)
    index = xp.asarray(getattr(xp, arg.__name__)(x.array, axis=dim, keepdims=True),
                       dtype=xp.int64)
    values = F.gather(x, dim, index)
    if not keepdim:
        values = F.squeeze(values, dim)
        index = index.squeeze(dim)
    return result(values, constant(index))


def _install(cls: type) -> None:
    """Set every method of :class:`TensorMethods` on ``cls``."""
    for name, member in vars(TensorMethods).items():
        if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            setattr(cls, name, member)


_install(Tensor)
