"""The autodiff core: a :class:`Tensor` is an array, its gradient, and the rule that made it.

Reverse mode, define-by-run (micrograd / DeZero style). Every operation of the engine
(:mod:`telar.engine.functional` lists them) computes its output with the array module and,
through :func:`make_result`, attaches a *backward rule*: a
function that maps the gradient of the loss with respect to the output, ``dL/dy``, to the
gradients with respect to each input, ``dL/dx_i`` (``None`` for an input that needs none).
:meth:`Tensor.backward` then applies the chain rule in reverse topological order:

    dL/dx = sum over every use y of x of  backward_y(dL/dy)[x]

so a value used twice receives the sum of both contributions. The topological sort is
iterative, so graphs of any depth work without touching Python's recursion limit.

Gradients of the leaves (parameters, inputs created with ``requires_grad=True``) land in
``.grad``; intermediate gradients live only for the duration of ``backward()``.

This module holds the tensor as a value in the graph: its data, gradient, backward pass and
conversions to Python and NumPy. The methods that compute a new tensor (``x + y``,
``x.sum()``, ``x.view(...)``...) call the operations, which themselves build tensors, so they
are defined with them and joined to the class in :mod:`telar.engine.methods`.

>>> import numpy as np, telar
>>> x = telar.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telar.engine.array import (
    Array,
    array_module,
    astype,
    copy,
    dtype_kind,
    host,
    is_host_array,
    to_host,
    writeable,
    xp,
)
from telar.engine.devices import CPU, as_device, device_of_array
from telar.engine.grad_mode import is_grad_enabled
from telar.engine.node_names import node_name
from telar.engine.size import DType, Size, dtype_of

BackwardRule = Callable[[Array], Sequence[Array | None]]


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Attributes:
        array: the values, an ndarray (its dtype is the tensor's dtype): what telar's own code
            computes with.
        data: PyTorch's ``p.data``, a tensor over the same memory outside the graph.
        grad: ``dL/d(data)`` after :meth:`backward`, for leaves that require it; else ``None``.
        requires_grad: whether gradients flow to (or through) this tensor.
    """

    __slots__ = ("array", "_grad", "requires_grad", "_parents", "_backward", "__weakref__")
    # NumPy defers to Tensor: `ndarray + Tensor` calls Tensor.__radd__ and `ndarray == Tensor`
    # calls Tensor.__eq__ (element-wise), instead of NumPy treating the tensor as one object.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.array
        if data is None or isinstance(data, str | bytes):
            raise TypeError(f"a Tensor holds numbers, got {type(data).__name__} {data!r:.40}")
        array = array_module(data).asarray(data, dtype=dtype)
        if dtype_kind(array) not in "biufc":  # objects, strings, dates: NumPy would fail later
            raise TypeError(f"a Tensor holds numbers (bool, int, float, complex), got an "
                            f"array of dtype {array.dtype}")
        if requires_grad and not xp.issubdtype(array.dtype, xp.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got {array.dtype}")
        self.array: Array = array
        self.grad: Array | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardRule | None = None

    # ----------------------------------------------------------------- basic properties
    @property
    def data(self) -> Tensor:
        """PyTorch's ``p.data``: the same values, sharing this tensor's memory, as a tensor cut
        from the graph, so ``p.data.add_(u)``, ``p.data.zero_()`` or ``p.data.numpy()`` change or
        read ``p`` itself without recording anything. (The ndarray is :attr:`array`.)"""
        return constant(self.array)

    @data.setter
    def data(self, value: Any) -> None:
        """``p.data = other`` replaces the values (PyTorch's idiom); the shape may change."""
        self.array = value.array if isinstance(value, Tensor) else xp.asarray(value)

    @property
    def grad(self) -> GradArray | None:
        """``dL/d(data)`` after :meth:`backward` (an ndarray with PyTorch's ``zero_()``)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None or type(value) is GradArray:
            self._grad = value
        else:
            value = value.array if isinstance(value, Tensor) else value
            # a GPU array stays as it is (CuPy arrays cannot be viewed as a NumPy subclass)
            self._grad = xp.asarray(value).view(GradArray) if is_host_array(value) or \
                array_module(value) is xp else value

    @property
    def shape(self) -> Size:
        """The sizes, a tuple printed as ``telar.Size([...])`` (as PyTorch's)."""
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> DType:
        """The dtype, printed as ``telar.float32``; equal to NumPy's (``self.array.dtype``)."""
        return dtype_of(self.array.dtype)

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by an operation that records a graph)."""
        return self._backward is None

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __repr__(self) -> str:
        grad = f", grad_fn=<{node_name(self._backward)}>" if self._backward is not None else \
            ", requires_grad=True" if self.requires_grad else ""
        kind = self.array.dtype
        dtype = "" if kind in (xp.float32, xp.int64, xp.bool_) else f", dtype=telar.{kind}"
        where = "" if self.device.type == "cpu" else f", device='{self.device}'"
        values = host.array2string(host.asarray(to_host(self.array)), separator=", ",
                                   prefix="tensor(")
        return f"tensor({values}{where}{dtype}{grad})"

    def numpy(self) -> Array:
        """The values as an ndarray (the same memory; copy it before changing it). A GPU
        tensor raises ``TypeError``, as in PyTorch: copy it to the host with ``.cpu()``."""
        self._check_on_host()
        return self.array

    def _check_on_host(self) -> None:
        if not is_host_array(self.array):
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.array)

    def zero_grad(self) -> None:
        self.grad = None

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
            if self.array.size != 1:
                raise RuntimeError("backward() needs `grad` for a tensor with more than one "
                                   f"element (shape {self.shape})")
            grad = array_module(self.array).ones_like(self.array)
        else:
            grad = array_module(self.array).asarray(
                grad.array if isinstance(grad, Tensor) else grad, dtype=self.array.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"grad shape {grad.shape} != tensor shape {self.shape}")
        if self._backward is None:  # a leaf: d self / d self = 1
            self.grad = copy(grad) if self.grad is None else self.grad + grad
            return

        grads: dict[int, Array] = {id(self): grad}
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
                        parent.grad = pg if writeable(pg) else copy(pg)
                    else:
                        parent.grad = parent._grad + pg
                else:
                    key = id(parent)
                    previous = grads.get(key)
                    grads[key] = pg if previous is None else previous + pg
        if not retain_graph:
            for node in order:  # free the saved arrays, as PyTorch does
                node._backward = FreedRule(node._backward)

    # ----------------------------------------------------------------- PyTorch's queries
    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple (``x.size()``), or one of its sizes (``x.size(1)``).

        PyTorch's method, not NumPy's attribute: the number of values is :meth:`numel`.
        """
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    @property
    def device(self) -> Any:
        """Where the values live: ``device("cpu")``, or ``device("cuda", i)`` for a CuPy array."""
        return CPU if is_host_array(self.array) else device_of_array(self.array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    # ----------------------------------------------------------------- to Python and NumPy
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        """``np.asarray(tensor)`` gives the values (as ``torch.Tensor.__array__`` does); a GPU
        tensor raises ``TypeError`` naming ``.cpu()``."""
        self._check_on_host()
        array = xp.asarray(self.array)  # a 0-d result may hold a NumPy scalar
        if dtype is not None and dtype != array.dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def tolist(self) -> Any:
        return self.array.tolist()

    def _one_value(self, what: str) -> Any:
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted "
                               f"to {what}")
        return self.array.reshape(()).item()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self._one_value("a Python scalar")

    def __float__(self) -> float:
        return float(self._one_value("float"))

    def __int__(self) -> int:
        return int(self._one_value("int"))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.array.size} values is "
                               "ambiguous")
        return bool(self.array.reshape(()).item())

    def __index__(self) -> int:
        if self.array.size != 1 or self.array.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.array.reshape(()).item())

    def __format__(self, spec: str) -> str:
        if self.array.size == 1 and self.array.ndim == 0:
            return format(self.array.item(), spec)
        return format(repr(self), spec)

    # ----------------------------------------------------------------- the leaf's own values
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking of this leaf on or off, in place; returns ``self``."""
        if requires_grad and not xp.issubdtype(self.array.dtype, xp.floating):
            raise RuntimeError("only floating-point tensors can require gradients, "
                               f"got {self.array.dtype}")
        if not requires_grad and self._backward is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    def check_inplace(self) -> None:
        """Raise if writing into this tensor's values would corrupt the graph: a leaf that
        requires grad may only be changed under ``no_grad()`` (an optimiser's update)."""
        if is_grad_enabled() and self.requires_grad:
            raise RuntimeError("a leaf Tensor that requires grad is being used in an in-place "
                               "operation (wrap the update in telar.no_grad())")

    def fill_(self, value: Any) -> Tensor:
        """Set every value to ``value``, in place (on a leaf, or under ``no_grad()``)."""
        self.check_inplace()
        self.array[...] = value
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def __setitem__(self, index: Any, value: Any) -> None:
        self.check_inplace()
        if isinstance(index, Tensor):
            index = index.array
        self.array[index] = value.array if isinstance(value, Tensor) else value


class GradArray(Array):
    """A gradient: an ndarray that also answers PyTorch's ``grad.zero_()`` and ``grad.data``."""

    def zero_(self) -> GradArray:
        self[...] = 0
        return self

    def __repr__(self) -> str:
        """Printed as PyTorch prints a gradient: ``tensor([...])`` (``print(w.grad)``)."""
        values = host.array2string(self.view(Array), separator=", ", prefix="tensor(")
        dtype = "" if self.dtype in (xp.float32, xp.int64, xp.bool_) else \
            f", dtype=telar.{self.dtype}"
        return f"tensor({values}{dtype})"

    __str__ = __repr__

    @property
    def data(self) -> GradArray:  # type: ignore[override]
        return self


class FreedRule:
    """The rule of a node whose saved arrays were freed by ``backward()``: calling it raises;
    it keeps the operation's name (``op``) for ``grad_fn``."""

    __slots__ = ("op",)

    def __init__(self, rule: Any) -> None:
        self.op = node_name(rule)

    def __call__(self, g: Array) -> Sequence[Array | None]:
        return _freed(g)


def _freed(g: Array) -> Sequence[Array | None]:
    raise RuntimeError("Trying to backward through the graph a second time (or directly "
                       "access saved tensors after they have already been freed). Specify "
                       "retain_graph=True if you need to backward through the graph a second "
                       "time.")


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


def make_result(data: Array, parents: tuple[Tensor, ...], backward: BackwardRule) -> Tensor:
    """The output of an operation: records ``backward`` only if some parent needs a gradient."""
    out = Tensor.__new__(Tensor)
    out.array = data
    out._grad = None
    if is_grad_enabled():
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


def constant(data: Array) -> Tensor:
    """A tensor with no history and no gradient (cheaper than ``Tensor(...)``)."""
    out = Tensor.__new__(Tensor)
    out.array = data
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
    target = as_device(device)
    if isinstance(data, Tensor):
        data = data.array
    if dtype is None and not isinstance(data, Array | host.generic):
        array = array_module(data).array(data)
        if array.dtype == xp.float64:
            array = array.astype(xp.float32)
        elif array.dtype.kind in "iu":
            array = array.astype(xp.int64, copy=False)
    else:
        array = array_module(data).array(data, dtype=dtype)
    if target is not None:
        array = target.put(array)
    return Tensor(array, requires_grad=requires_grad)


def operand(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor, for an operation's argument, promoted as PyTorch does: a Python
    number beside a floating ``like`` takes its dtype (``float32_tensor * 0.5`` stays float32);
    a Python float beside an integer ``like`` gives float32, the default dtype
    (``uint8_tensor / 255.``); a Python int beside an integer ``like`` takes its dtype
    (``uint8_tensor + 1`` stays uint8). Numbers and arrays become constants (no gradient)."""
    if isinstance(value, Tensor):
        return value
    if like is not None:
        module = array_module(like.array)  # a constant lives where the tensor it meets lives
        if isinstance(value, int | float) and not isinstance(value, bool):
            # PyTorch's promotion: a Python number takes a float tensor's dtype; a float
            # meeting an integer tensor gives the default float32; an int keeps the int's dtype
            kind = dtype_kind(like.array)
            if kind in "fc":
                return constant(module.asarray(value, dtype=like.array.dtype))
            if isinstance(value, float):
                return constant(module.asarray(value, dtype=module.float32))
            if kind in "iu":
                return constant(astype(module.asarray(value), like.array.dtype))
        return constant(module.asarray(value))
    return constant(array_module(value).asarray(value))
