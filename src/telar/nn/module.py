"""``Module`` and ``Parameter``: the uniform interface every layer follows (PyTorch's names).

A module registers the :class:`Parameter` objects and sub-modules assigned to its attributes,
in assignment order, plus *buffers* (ndarrays such as BatchNorm's running statistics) declared
with :meth:`Module.register_buffer`. ``state_dict()`` is a plain ``dict[str, ndarray]`` with
dotted names (``"1.weight"``, ``"2.running_mean"``), so it saves with ``np.savez`` and loads
with ``allow_pickle=False``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from telar.engine import Tensor
from telar.engine.array import xp
from telar.engine.devices import check_device, to_arguments
from telar.errors import ModelFileError


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"<IncompatibleKeys missing_keys={self.missing_keys} "
                f"unexpected_keys={self.unexpected_keys}>")


class Parameter(Tensor):
    """A leaf tensor that a module owns and an optimiser updates (``requires_grad=True``)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class of layers and networks. Subclasses set attributes and define ``forward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 "before assigning attributes")
        for table in (self._parameters, self._modules, self._buffers):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Any, persistent: bool = True) -> None:
        """Keep ``value`` in the state dict without training it (e.g. running statistics).

        Buffers are ndarrays (a tensor's values are taken); ``persistent`` is accepted and
        every buffer is saved.
        """
        if isinstance(value, Tensor):
            value = value.data
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    def architecture(self) -> dict[str, Any] | None:
        """What a model file records to rebuild this network without its code
        (``{"kind": ..., ...}``), or None when it cannot be rebuilt from a description."""
        return None

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        setattr(self, name, module)

    register_module = add_module

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def summary(self, input_size: Any = None, print_fn: Any = print) -> None:
        """Print each layer, its output shape and parameter count, then the totals, as Keras's
        ``model.summary()`` does. ``input_size``: one sample's shape, e.g. ``(1, 28, 28)``
        (default: the network's ``input_shape``, which layer-list networks have)."""
        from telar.nn.summary import summary_text  # the module imports nothing of ours

        print_fn(summary_text(self, input_size))

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every sub-module (children first) and on ``self``; returns
        ``self``. PyTorch's idiom for custom initialisation: ``net.apply(init_weights)``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from (m for m in self._modules.values() if m is not None)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs, each parameter once, in registration order."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for head, module in modules:
            for name, param in module._parameters.items():
                if param is not None and (id(param) not in seen or not remove_duplicate):
                    seen.add(id(param))
                    yield (f"{head}.{name}" if head else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """A generator over the parameters (use ``list(...)`` to keep them)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "",
                      recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for head, module in modules:
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None:
                    yield (f"{head}.{name}" if head else name), value

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalar parameters (weights and biases)."""
        return int(sum(p.data.size for p in self.parameters()
                       if p.requires_grad or not trainable_only))

    # ----------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, BatchNorm uses and updates batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)`` (only the CPU exists) or ``to(dtype)``: casts floating-point
        parameters and buffers. Returns ``self``."""
        dtype = to_arguments(args, kwargs)
        return self if dtype is None else self.to_dtype(dtype)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        check_device("cuda")
        return self

    def float(self) -> Module:  # noqa: A003 - PyTorch's name
        return self.to_dtype(np.float32)

    def double(self) -> Module:
        return self.to_dtype(np.float64)

    def to_dtype(self, dtype: Any) -> Module:
        """Cast every floating-point parameter and buffer to ``dtype`` (e.g. float64 for
        gradient checks); integer buffers (counters) keep theirs."""
        for param in self.parameters():
            if param.data.dtype.kind == "f":
                param.data = param.data.astype(dtype)
                param.grad = None
        for module in self.modules():
            for name in list(module._buffers):
                value = getattr(module, name)
                if value is not None and value.dtype.kind == "f":
                    module.register_buffer(name, value.astype(dtype))
        return self

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: xp.array(b, copy=True) for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy ``state``'s arrays into this module's parameters and buffers, in place.

        With ``strict`` (the default) the keys must be exactly this module's parameters and
        buffers; without it, as in PyTorch, missing and unexpected keys are only returned
        (e.g. PyTorch's ``num_batches_tracked``, which telar's batch norm does not keep).
        Every key that names a parameter or buffer must have its shape. Raises
        :class:`telar.errors.ModelFileError` naming the keys or shapes that do not match.
        """
        targets: dict[str, np.ndarray] = {n: p.data for n, p in self.named_parameters()}
        targets.update(dict(self.named_buffers()))
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        for key, target in targets.items():
            if key in state:
                shape = tuple(np.shape(state[key]))
                if shape != target.shape:
                    problems.append(f"{key!r} has shape {shape}, the model expects "
                                    f"{target.shape}")
        if problems:
            raise ModelFileError(f"state dict does not fit {type(self).__name__}: "
                                 + "; ".join(problems))
        for key, target in targets.items():
            if key in state:
                value = xp.asarray(state[key])
                if not xp.all(xp.isfinite(value)) and xp.issubdtype(value.dtype, xp.floating):
                    raise ModelFileError(f"state dict entry {key!r} holds NaN or infinity")
                target[...] = value  # in place: optimisers keep their references
        return IncompatibleKeys(missing, unexpected)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n  " + "\n  ".join(lines) + "\n)" if lines else ")")
