"""The autodiff engine: a :class:`Tensor` is an ndarray, its gradient, and the rule that made it.

Reverse mode, define-by-run (micrograd / DeZero style). Every primitive in
:mod:`telar.functional` computes its output with NumPy and attaches a *backward rule*: a
function that maps the gradient of the loss with respect to the output, ``dL/dy``, to the
gradients with respect to each input, ``dL/dx_i`` (``None`` for an input that needs none).
:meth:`Tensor.backward` then applies the chain rule in reverse topological order:

    dL/dx = sum over every use y of x of  backward_y(dL/dy)[x]

so a value used twice receives the sum of both contributions. The topological sort is
iterative, so graphs of any depth work without touching Python's recursion limit.

Gradients of the leaves (parameters, inputs created with ``requires_grad=True``) land in
``.grad``; intermediate gradients live only for the duration of ``backward()``.

>>> import numpy as np, telar
>>> x = telar.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from telar.backend import xp

BackwardRule = Callable[[np.ndarray], Sequence[np.ndarray | None]]

# Whether operations record the graph. Switched only by `no_grad()` / `enable_grad()`, which
# restore the previous value on exit (a context, not configuration).
_grad_enabled: bool = True


def is_grad_enabled() -> bool:
    """Whether new operations record their backward rule."""
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block operations record no graph (evaluation, optimiser updates).

    >>> with telar.no_grad():
    ...     logits = model(x)          # doctest: +SKIP
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Within this block operations record the graph, even inside :func:`no_grad`."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = previous


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Attributes:
        data: the values, an ndarray (its dtype is the tensor's dtype).
        grad: ``dL/d(data)`` after :meth:`backward`, for leaves that require it; else ``None``.
        requires_grad: whether gradients flow to (or through) this tensor.
    """

    __slots__ = ("data", "_grad", "requires_grad", "_parents", "_backward", "__weakref__")
    # NumPy defers to Tensor: `ndarray + Tensor` calls Tensor.__radd__ and `ndarray == Tensor`
    # calls Tensor.__eq__ (element-wise), instead of NumPy treating the tensor as one object.
    __array_priority__ = 1000
    __array_ufunc__ = None
    # Comparisons are element-wise, so identity (not value) is what hashing uses, as in PyTorch.
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = xp.asarray(data, dtype=dtype)
        if requires_grad and not xp.issubdtype(array.dtype, xp.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got {array.dtype}")
        self.data: np.ndarray = array
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardRule | None = None

    # ----------------------------------------------------------------- basic properties
    @property
    def grad(self) -> GradArray | None:
        """``dL/d(data)`` after :meth:`backward` (an ndarray with PyTorch's ``zero_()``)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None or type(value) is GradArray:
            self._grad = value
        else:
            value = value.data if isinstance(value, Tensor) else value
            self._grad = xp.asarray(value).view(GradArray)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple (``x.size()``), or one of its sizes (``x.size(1)``).

        PyTorch's method, not NumPy's attribute: the number of values is :meth:`numel`.
        """
        return self.data.shape if dim is None else self.data.shape[dim]

    @property
    def device(self) -> Any:
        from telar.device import CPU

        return CPU

    is_cuda = False

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by an operation that records a graph)."""
        return self._backward is None

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        kind = self.data.dtype
        dtype = "" if kind in (xp.float32, xp.int64, xp.bool_) else f", dtype=telar.{kind}"
        return f"tensor({np.array2string(self.data, separator=', ')}{dtype}{grad})"

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(tensor)`` gives the values (as ``torch.Tensor.__array__`` does)."""
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self) -> np.ndarray:
        """The values as an ndarray (the same memory; copy it before changing it)."""
        return self.data

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

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

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
        from telar.device import check_device

        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _is_dtype(arg):
                dtype = arg
            else:
                check_device(arg)
        return self if dtype is None else F.cast(self, dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        from telar.device import check_device

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
        if _grad_enabled and self.requires_grad:
            raise RuntimeError("a leaf Tensor that requires grad is being used in an in-place "
                               "operation (wrap the update in telar.no_grad())")

    # ----------------------------------------------------------------- reverse mode
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, *, grad: Any = None) -> None:
        """Accumulate ``dself/dleaf`` into ``leaf.grad`` for every leaf that requires it.

        ``gradient`` is ``dL/dself``; it may be omitted for a one-element tensor (it is then 1).
        As in PyTorch the graph is freed afterwards: a second ``backward()`` through it raises
        ``RuntimeError`` unless the first one passed ``retain_graph=True``.
        """
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not "
                                      "supported")
        grad = gradient if grad is None else grad
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(was it computed under no_grad(), or from constants only?)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("backward() needs `grad` for a tensor with more than one "
                                   f"element (shape {self.shape})")
            grad = xp.ones_like(self.data)
        else:
            grad = xp.asarray(grad.data if isinstance(grad, Tensor) else grad,
                              dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"grad shape {grad.shape} != tensor shape {self.shape}")
        if self._backward is None:  # a leaf: d self / d self = 1
            self.grad = grad.copy() if self.grad is None else self.grad + grad
            return

        grads: dict[int, np.ndarray] = {id(self): grad}
        order = _topological_order(self)
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            for parent, pg in zip(node._parents, node._backward(g), strict=True):  # type: ignore[misc]
                if pg is None or not parent.requires_grad:
                    continue
                if parent._backward is None:  # leaf: accumulate into .grad
                    # Never add in place: `pg` may be shared with another input's gradient.
                    if parent._grad is None:
                        # A broadcast view is read-only; .grad must be an array of its own.
                        parent.grad = pg if pg.flags.writeable else pg.copy()
                    else:
                        parent.grad = parent._grad + pg
                else:
                    key = id(parent)
                    previous = grads.get(key)
                    grads[key] = pg if previous is None else previous + pg
        if not retain_graph:
            for node in order:  # free the saved arrays, as PyTorch does
                node._backward = _freed

    # ----------------------------------------------------------------- operators
    # Defined in telar.functional (imported at the bottom to avoid a cycle).
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

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace()
        if isinstance(index, Tensor):
            index = index.data
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # In place (``x -= lr * g``): on the data under no_grad() or for tensors without
    # gradients; an interior node of a graph gets a new tensor instead (Python rebinds it).
    def _inplace(self, other: Any, op: Callable[..., Any], ufunc: np.ufunc) -> Tensor:
        if _grad_enabled and self.requires_grad:
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


class GradArray(np.ndarray):
    """A gradient: an ndarray that also answers PyTorch's ``grad.zero_()`` and ``grad.data``."""

    def zero_(self) -> GradArray:
        self[...] = 0
        return self

    @property
    def data(self) -> GradArray:  # type: ignore[override]
        return self


MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "float16": "HalfTensor", "int16": "ShortTensor", "int8": "CharTensor"}


def _freed(g: np.ndarray) -> Sequence[np.ndarray | None]:
    raise RuntimeError("Trying to backward through the graph a second time (or directly "
                       "access saved tensors after they have already been freed). Specify "
                       "retain_graph=True if you need to backward through the graph a second "
                       "time.")


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

def _topological_order(root: Tensor) -> list[Tensor]:
    """Interior nodes reachable from ``root``, each after all the nodes it depends on.

    Iterative depth-first post-order (an explicit stack instead of recursion). Leaves are not
    listed: their gradients are accumulated directly when their consumers run.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent._backward is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


def make_result(data: np.ndarray, parents: tuple[Tensor, ...], backward: BackwardRule) -> Tensor:
    """The output of an operation: records ``backward`` only if some parent needs a gradient."""
    out = Tensor.__new__(Tensor)
    out.data = data
    out._grad = None
    if _grad_enabled:
        for parent in parents:  # a plain loop: cheaper than any() on this hot path
            if parent.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def constant(data: np.ndarray) -> Tensor:
    """A tensor with no history and no gradient (cheaper than ``Tensor(...)``)."""
    out = Tensor.__new__(Tensor)
    out.data = data
    out._grad = None
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Create a leaf tensor (a copy of ``data``), like ``torch.tensor``.

    Without ``dtype``: Python floats (and lists of them) give float32, PyTorch's default float
    type; Python ints give int64; bools give bool; an ndarray or tensor keeps its dtype.

    >>> telar.tensor([1.5, 2.0]).dtype, telar.tensor([1, 2]).dtype
    (dtype('float32'), dtype('int64'))
    """
    from telar.device import check_device

    check_device(device)
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not isinstance(data, np.ndarray | np.generic):
        array = xp.array(data)
        if array.dtype == xp.float64:
            array = array.astype(xp.float32)
        elif array.dtype.kind in "iu":
            array = array.astype(xp.int64, copy=False)
    else:
        array = xp.array(data, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


from telar import functional as F  # noqa: E402  (cycle: functional builds Tensors)
