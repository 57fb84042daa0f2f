"""``model.summary()``: each layer, its output shape and its parameter count, as Keras prints it.

The shapes are traced, not predicted: one batch of zeros goes through the network and every
leaf module records what it returned. Containers (``Sequential`` and user modules that call
their children) are walked by standing in for their children's ``forward`` for the duration of
the trace; ``Sequential``'s fused ReLU + max-pool pairs run unfused so each layer is seen.

>>> from telar import nn
>>> print(summary_text(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (4,)))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.grad_mode import no_grad


@dataclass(frozen=True)
class LayerRow:
    """One line of a summary: ``name (Type)``, the output shape per sample, the parameters
    the layer itself holds (``trainable`` of them with ``requires_grad``)."""

    name: str
    kind: str
    output_shape: tuple[int, ...] | None
    parameters: int
    trainable: int


def _own_parameters(module: Any) -> tuple[int, int]:
    params = list(module.parameters(recurse=False))
    total = sum(int(np.prod(p.shape)) for p in params)
    return total, sum(int(np.prod(p.shape)) for p in params if p.requires_grad)


def _shape_of(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, tuple | list) and value:  # (output, state) of recurrent layers
        value = value[0]
    shape = getattr(value, "shape", None)
    return tuple(int(d) for d in shape[1:]) if shape is not None else None


def _trace(module: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
           rows: list[LayerRow]) -> Any:
    """Run ``module`` on ``args`` the way its class does, recording a row per leaf module."""
    children = list(module.named_children())
    total, trainable = _own_parameters(module)
    if not children:
        out = type(module).forward(module, *args, **kwargs)
        rows.append(LayerRow(name, type(module).__name__, _shape_of(out), total, trainable))
        return out
    saved_order = module.__dict__.get("_order")
    if saved_order is not None:  # Sequential: run the layers one by one, unfused
        object.__setattr__(module, "_order", list(module._layers))
    for child_name, child in children:
        def stand_in(*a: Any, _child: Any = child, _name: str = child_name, **k: Any) -> Any:
            return _trace(_child, f"{name}.{_name}" if name else _name, a, k, rows)
        object.__setattr__(child, "forward", stand_in)
    try:
        out = type(module).forward(module, *args, **kwargs)
    finally:
        for _, child in children:
            child.__dict__.pop("forward", None)
        if saved_order is not None:
            object.__setattr__(module, "_order", saved_order)
    if total:  # parameters the container uses itself
        rows.append(LayerRow(name or "(model)", type(module).__name__, _shape_of(out), total,
                             trainable))
    return out


def trace_layers(module: Any, run: Callable[[], Any] | None = None,
                 input_size: Sequence[int] | None = None) -> list[LayerRow]:
    """The rows of ``module``'s summary, in the order its layers run.

    Either ``input_size`` (per sample, e.g. ``(1, 28, 28)``: one zero sample is passed) or
    ``run``, a function that calls the module itself (so callers can prepare the input).
    The module runs in evaluation mode without recording a graph; its mode is restored.
    """
    rows: list[LayerRow] = []
    training = module.training
    original = module.__dict__.get("forward")

    def traced(*args: Any, **kwargs: Any) -> Any:
        return _trace(module, "", args, kwargs, rows)

    object.__setattr__(module, "forward", traced)
    module.eval()
    try:
        with no_grad():
            if run is not None:
                run()
            else:
                dtype = next((p.dtype for p in module.parameters()), np.float32)
                module(Tensor(np.zeros((1, *[int(d) for d in input_size or ()]), dtype=dtype)))
    finally:
        module.train(training)
        if original is None:
            module.__dict__.pop("forward", None)
        else:
            object.__setattr__(module, "forward", original)
    return rows


def format_summary(rows: Sequence[LayerRow], title: str, width: int = 72) -> str:
    """Keras's table: ``Layer (type) | Output Shape | Param #``, then the totals."""
    name_w = max([len("Layer (type)"), *(len(f"{r.name} ({r.kind})") for r in rows)]) + 2
    shape_w = max(16, *(len(_shape_text(r.output_shape)) for r in rows)) + 2 if rows else 18
    width = max(width, name_w + shape_w + 12)
    lines = [f'Model: "{title}"', "_" * width,
             f"{'Layer (type)':<{name_w}}{'Output Shape':<{shape_w}}{'Param #':>10}", "=" * width]
    for i, r in enumerate(rows):
        lines.append(f"{r.name + ' (' + r.kind + ')':<{name_w}}"
                     f"{_shape_text(r.output_shape):<{shape_w}}{r.parameters:>10,}")
        lines.append("=" * width if i == len(rows) - 1 else "_" * width)
    if not rows:
        lines.append("=" * width)
    total = sum(r.parameters for r in rows)
    trainable = sum(r.trainable for r in rows)
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "(None, " + ", ".join(map(str, shape)) + ")"


def summary_text(module: Any, input_size: Sequence[int] | None = None) -> str:
    """:func:`format_summary` of :func:`trace_layers`; ``input_size`` defaults to the module's
    ``input_shape`` attribute (networks built from a layer list have one)."""
    size = input_size if input_size is not None else getattr(module, "input_shape", None)
    if size is None:
        raise TypeError(f"{type(module).__name__}.summary() needs input_size, the shape of "
                        "one sample (e.g. (784,) or (1, 28, 28))")
    return format_summary(trace_layers(module, input_size=size), type(module).__name__)
