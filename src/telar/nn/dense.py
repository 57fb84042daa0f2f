"""The dense network as a shorthand: a compact spec that expands to a layer list.

A dense spec (``{"hidden": [256, 128], "batch_norm": True, "dropout": 0.2}``) is what
``--hidden/--activation/--init/--dropout/--batch-norm`` and model files of kind ``mlp`` say.
:func:`dense_layers` is the one place it becomes a network: the layer list ::

    flatten, then per hidden width w:  linear(w, bias=not batch_norm, init=init), [bn],
                                       activation, [dropout(p)]
    then linear(classes, init=init)

which :class:`~telar.nn.layer_net.LayerNet` builds like any other. :class:`DenseNet` is that
LayerNet, keeping the compact spec as its description (model files store ``kind = "mlp"``).

>>> dense_layers({"input_size": 4, "hidden": [3], "classes": 2})[:3]
[{'layer': 'flatten'}, {'layer': 'linear', 'out': 3, 'init': 'xavier_report'}, {'layer': 'relu'}]
"""

from __future__ import annotations

from typing import Any

from telar.constraints import (
    CLASSES,
    DROPOUT,
    DTYPE,
    INPUT_WIDTH,
    SEED,
    WIDTH,
    Boolean,
    ListOf,
    Table,
)
from telar.nn.activation import ACTIVATION
from telar.nn.grammar import normalise_layers
from telar.nn.init import INIT
from telar.nn.layer_net import LayerNet
from telar.nn.layers import Linear

SPEC_DEFAULTS: dict[str, Any] = {
    "input_size": 784,
    "hidden": [64, 32, 16],
    "classes": 10,
    "activation": "relu",
    "init": "xavier_report",
    "dropout": 0.0,
    "batch_norm": False,
    "seed": 0,
    "dtype": "float32",
}

#: The dense spec: every key optional (:data:`SPEC_DEFAULTS`), each value checked.
DENSE_SPEC = Table({
    "input_size": INPUT_WIDTH,
    "hidden": ListOf(WIDTH, noun="layer width"),
    "classes": CLASSES,
    "activation": ACTIVATION,
    "init": INIT,
    "dropout": DROPOUT,
    "batch_norm": Boolean(),
    "seed": SEED,
    "dtype": DTYPE,
}, defaults=SPEC_DEFAULTS)


def normalise_spec(spec: dict[str, Any], where: str = "spec") -> dict[str, Any]:
    """``spec`` with defaults filled in and every value checked (ConfigError names the key:
    ``spec.dropout: expected a probability in [0, 1), got 1.0``)."""
    return DENSE_SPEC.check(spec, where)


def dense_layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The canonical layer list a dense spec stands for (see the module doc)."""
    full = normalise_spec(spec)
    layers: list[dict[str, Any]] = [{"layer": "flatten"}]
    for width in full["hidden"]:
        layers.append({"layer": "linear", "out": width, "bias": not full["batch_norm"],
                       "init": full["init"]})
        if full["batch_norm"]:
            layers.append({"layer": "bn"})
        layers.append({"layer": full["activation"]})
        if full["dropout"]:
            layers.append({"layer": "dropout", "p": full["dropout"]})
    layers.append({"layer": "linear", "out": full["classes"], "init": full["init"]})
    return normalise_layers(layers)


def layer_net_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The :class:`LayerNet` spec of a dense spec: its layers on flat rows of ``input_size``."""
    full = normalise_spec(spec)
    return {"layers": dense_layers(full), "input_shape": [full["input_size"]],
            "seed": full["seed"], "dtype": full["dtype"]}


class DenseNet(LayerNet):
    """A dense classifier described by a compact spec, built as the layer list
    :func:`dense_layers` expands it to.

    ``spec`` keys (all optional): ``input_size`` (784), ``hidden`` ([64, 32, 16]: the report's
    network), ``classes`` (10), ``activation`` ("relu"), ``init`` ("xavier_report"),
    ``dropout`` (0.0), ``batch_norm`` (False), ``seed`` (0: weights and dropout masks),
    ``dtype`` ("float32").

    Attributes:
        spec: the full, normalised dense spec (what a model file stores as its architecture).
        layers: the layer list it expands to; generator: the dropout layers' generator.

    >>> model = DenseNet({"hidden": [256, 128], "batch_norm": True, "dropout": 0.2})
    """

    kind = "mlp"  # the architecture kind in model files

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        full = normalise_spec(spec or {})
        super().__init__(layer_net_spec(full))
        self.spec = full

    def load_report_weights(self, network: Any) -> None:
        """Copy a :class:`telar.handwritten.HandwrittenNetwork`'s weights (its ``W`` is
        ``(n_in, n_out)``, a Linear's ``(n_out, n_in)``), so both engines start alike."""
        linears = [m for m in self.modules() if isinstance(m, Linear)]
        for layer, w, b in zip(linears, network.weights, network.biases, strict=True):
            layer.weight.array[...] = w.T
            layer.bias.array[...] = b


def build_mlp(spec: dict[str, Any]) -> DenseNet:
    """``DenseNet(spec)``: the dense network a spec describes (kept for existing callers)."""
    return DenseNet(spec)
