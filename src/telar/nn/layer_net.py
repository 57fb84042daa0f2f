"""A network described by a layer list: planned, then built (:class:`LayerNet`).

Every network of :mod:`telar.nn` that is rebuilt from a description is a ``LayerNet``: a
convolutional net written with ``--layers`` and the dense network alike (its spec expands to
a layer list, :mod:`telar.nn.dense`). Building goes in two passes:

1. :func:`plan_layers`: each layer's output shape and parameter count from the registry's
   plans, arithmetic only, so a description that does not fit (a kernel larger than its input,
   a ``linear`` on images) or declares too many weights is refused before any array exists;
2. the modules, weights drawn in layer order from ``default_rng(seed)`` after the dropout
   generator's own seed (``rng.integers(2**63)``), which every dropout layer shares.

>>> net = build_sequential("conv(32,3,pad=1) relu maxpool(2) flatten linear(10)", (1, 28, 28))
>>> net.shapes[-2], count_parameters("flatten linear(10)", (784,))
((6272,), 7850)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.constraints import DTYPE, SEED, SHAPE, Custom, Table
from telar.errors import ConfigError
from telar.nn.container import Sequential
from telar.nn.grammar import layers_to_text, normalise_layers
from telar.nn.registry import LAYERS, BuildContext, Shape

#: Layers that need images (channels, height, width), not flat rows (the recurrent ones read
#: them row by row).
IMAGE_LAYERS = ("conv", "maxpool", "avgpool", "gap", "dropout2d", "rnn", "lstm", "gru")

#: A layer network's spec: ``layers`` (text or list; canonical after the check),
#: ``input_shape`` (per sample), ``seed`` (0), ``dtype`` ("float32").
LAYER_NET_SPEC = Table({
    "layers": Custom(lambda value, where: normalise_layers(value), "a layer list"),
    "input_shape": SHAPE,
    "seed": SEED,
    "dtype": DTYPE,
}, required=("layers", "input_shape"), defaults={"seed": 0, "dtype": "float32"})


@dataclass(frozen=True)
class LayerPlan:
    """One layer of a planned network: its canonical entry, its text, its output shape (per
    sample) and how many parameters it has."""

    layer: dict[str, Any]
    source: str
    shape: Shape
    parameters: int


def _args(layer: dict[str, Any]) -> dict[str, Any]:
    return {a.name: layer.get(a.name, a.default) for a in LAYERS[layer["layer"]].args}


def _plan(canonical: list[dict[str, Any]], shape: Shape) -> list[LayerPlan]:
    plans = []
    for i, layer in enumerate(canonical, 1):
        source = layers_to_text([layer])
        try:
            out, parameters = LAYERS[layer["layer"]].plan(_args(layer), shape)
        except (ValueError, ConfigError) as exc:
            raise ConfigError(f"layer {i} {source!r}: {exc}") from None
        plans.append(LayerPlan(layer, source, tuple(out), parameters))
        shape = tuple(out)
    return plans


def plan_layers(layers: str | Sequence[Any], input_shape: Sequence[int]) -> list[LayerPlan]:
    """Every layer's output shape and parameter count on inputs of per-sample shape
    ``input_shape``, without building anything; ConfigError names the first bad layer."""
    shape = tuple(SHAPE.check(list(input_shape), "the input shape"))
    return _plan(normalise_layers(layers), shape)


def infer_shapes(layers: str | Sequence[Any], input_shape: Sequence[int]) -> list[Shape]:
    """The per-sample output shape after each layer."""
    return [plan.shape for plan in plan_layers(layers, input_shape)]


def count_parameters(layers: str | Sequence[Any], input_shape: Sequence[int]) -> int:
    """The parameters the layer list declares (weights, biases, batch norm's scale and shift):
    ``linear(out)`` on ``n`` features has ``n * out + out``."""
    return sum(plan.parameters for plan in plan_layers(layers, input_shape))


def footprint(layers: str | Sequence[Any], input_shape: Sequence[int]) -> tuple[int, int, int]:
    """``(parameters, buffers, activations)`` the layer list declares, arithmetic only.

    ``buffers`` are the numbers a file stores beside the parameters (batch norm's running mean
    and variance: ``2 C``); ``activations`` the values one image makes on its way through:
    ``prod(input) + sum(prod(output))`` over the layers, plus each convolution's unfolded
    input (``C kh kw Ho Wo``, the im2col matrix the kernels build).
    """
    shape = tuple(SHAPE.check(list(input_shape), "the input shape"))
    parameters = buffers = 0
    activations = math.prod(shape)
    for plan in _plan(normalise_layers(layers), shape):
        parameters += plan.parameters
        activations += math.prod(plan.shape)
        kind = plan.layer["layer"]
        if kind == "bn":
            buffers += 2 * shape[0]
        elif kind == "conv":
            kernel = _args(plan.layer)["kernel"]
            kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
            activations += shape[0] * kh * kw * math.prod(plan.shape[1:])
        shape = plan.shape
    return parameters, buffers, activations


class LayerNet(Sequential):
    """A sequential network described by a layer list (see :mod:`telar.nn.grammar`).

    ``spec``: :data:`LAYER_NET_SPEC` (``layers``, ``input_shape`` such as ``[784]`` or
    ``[1, 28, 28]``, ``seed``, ``dtype``). Weights are drawn in layer order from
    ``default_rng(seed)``; all dropout layers share one generator seeded from it first.

    Attributes:
        layers: the canonical layer list; input_shape: per-sample input shape;
        shapes: each layer's output shape; generator: the dropout layers' generator;
        spec: the normalised spec (what a model file stores, with ``kind = "layers"``).
    """

    kind = "layers"  # the architecture kind in model files

    def __init__(self, spec: dict[str, Any]) -> None:
        full = LAYER_NET_SPEC.check(spec, "spec")
        canonical, shape = full["layers"], tuple(full["input_shape"])
        plans = _plan(canonical, shape)
        rng = np.random.default_rng(full["seed"])
        ctx = BuildContext(rng, np.random.default_rng(rng.integers(2**63)),
                           np.dtype(full["dtype"]))
        modules = []
        for i, plan in enumerate(plans, 1):
            try:
                modules.append(LAYERS[plan.layer["layer"]].build(_args(plan.layer), shape, ctx))
            except (ValueError, ConfigError) as exc:
                raise ConfigError(f"layer {i} {plan.source!r}: {exc}") from None
            shape = plan.shape
        super().__init__(*modules)
        self.layers: list[dict[str, Any]] = canonical
        self.input_shape: tuple[int, ...] = tuple(full["input_shape"])
        self.shapes: list[tuple[int, ...]] = [plan.shape for plan in plans]
        self.generator: np.random.Generator = ctx.dropout_rng
        self.spec: dict[str, Any] = {"layers": canonical, "input_shape": list(self.input_shape),
                                     "seed": full["seed"], "dtype": full["dtype"]}

    def architecture(self) -> dict[str, Any]:
        """What a model file records to rebuild this network: ``{"kind": self.kind, ...}``."""
        return {"kind": self.kind, **self.spec}


def on_flat_rows(layers: str | Sequence[Any], image_shape: Sequence[int] = (1, 28, 28)
                 ) -> list[dict[str, Any]]:
    """The canonical list, with ``unflatten(*image_shape)`` put first when the network starts
    on images, so it takes flat rows (as telar's data and model files give them); every
    shape is checked, and an error names the layer as the user numbered it."""
    canonical = normalise_layers(layers)
    flat = (int(np.prod(image_shape)),)
    if canonical and canonical[0]["layer"] in IMAGE_LAYERS:
        _plan(canonical, tuple(image_shape))
        return normalise_layers([{"layer": "unflatten", "shape": list(image_shape)},
                                 *canonical])
    _plan(canonical, flat)
    return canonical


def build_sequential(layers: str | Sequence[Any], input_shape: Sequence[int], seed: int = 0,
                     dtype: Any = "float32") -> LayerNet:
    """``LayerNet`` for ``layers`` on inputs of per-sample shape ``input_shape``."""
    return LayerNet({"layers": layers, "input_shape": list(input_shape), "seed": seed,
                     "dtype": np.dtype(dtype).name})
