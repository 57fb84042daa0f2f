"""``tensor.grad_fn`` and ``grad_fn.next_functions``: the recorded graph as PyTorch shows it.

telar records, for each result of an operation, its backward rule and its parents
(:func:`telar.engine.tensor.make_result`); this module gives that record PyTorch's view of it: a
node named after the operation (``<AddBackward0>``, ``<MmBackward0>``, ``<NllLossBackward0>``),
whose ``next_functions`` are ``((node, 0), ...)``, one per input: the input's own node, an
``AccumulateGrad`` for a leaf that requires a gradient, ``None`` for a constant.

The operation is read from the rule itself: every rule is defined inside the function of its
operation (``add.<locals>.backward``), so its ``__qualname__`` names it. A loss composed of
several operations names its last node after itself with :func:`named`.

>>> import telar
>>> w = telar.ones(2, 2, requires_grad=True)
>>> (w @ w).sum().grad_fn.name()
'SumBackward0'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telar.engine.array import Array
from telar.engine.node_names import TORCH_NAMES, node_name
from telar.engine.tensor import Tensor


class Node:
    """One recorded operation: ``name()``, ``next_functions``, and ``str`` as PyTorch's."""

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def name(self) -> str:
        return node_name(self._tensor._backward)

    @property
    def next_functions(self) -> tuple[tuple[Node | AccumulateGrad | None, int], ...]:
        # a composite loss lists the inputs it was called with, not its inner nodes
        inputs = getattr(self._tensor._backward, "inputs", None) or self._tensor._parents
        return tuple((grad_fn_of(p) if p.requires_grad else None, 0) for p in inputs)

    def __call__(self, *grads: Any) -> Sequence[Array | None]:
        return self._tensor._backward(*grads)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """The node of a leaf that requires a gradient: backward adds into ``variable.grad``."""

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.next_functions: tuple[()] = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def grad_fn_of(tensor: Tensor) -> Node | AccumulateGrad | None:
    """``tensor.grad_fn`` for an interior tensor; an :class:`AccumulateGrad` for a leaf that
    requires a gradient (what ``next_functions`` lists for it)."""
    if tensor._backward is not None:
        return Node(tensor)
    return AccumulateGrad(tensor) if tensor.requires_grad else None


class NamedRule:
    """A backward rule carrying the name of the operation it belongs to (``op``)."""

    __slots__ = ("rule", "op", "inputs")

    def __init__(self, rule: Callable[..., Any], op: str, inputs: tuple[Tensor, ...]) -> None:
        self.rule, self.op, self.inputs = rule, op, inputs

    def __call__(self, g: Array) -> Sequence[Array | None]:
        return self.rule(g)


def named(out: Tensor, op: str, *inputs: Any) -> Tensor:
    """Name ``out``'s node after ``op`` (a composite loss's last node), e.g.
    ``"BinaryCrossEntropyWithLogitsBackward0"``, with ``inputs`` (the tensors among them) as
    its ``next_functions``; ``out`` itself is returned."""
    if out._backward is not None:
        tensors = tuple(t for t in inputs if isinstance(t, Tensor))
        out._backward = NamedRule(out._backward, op, tensors)
    return out


__all__ = ["Node", "AccumulateGrad", "grad_fn_of", "node_name", "named", "TORCH_NAMES"]
