"""Dense networks as a declared model class, rebuilt from a JSON-able spec (no training code)."""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.errors import ConfigError
from telar.nn.activation import ACTIVATIONS
from telar.nn.container import Sequential
from telar.nn.init import INITIALISERS
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Linear
from telar.nn.module import Module

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


def normalise_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with defaults filled in and every value checked (ConfigError names the key)."""
    unknown = sorted(set(spec) - set(SPEC_DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown network spec keys {unknown}; known: {sorted(SPEC_DEFAULTS)}")
    full = {**SPEC_DEFAULTS, **spec}
    try:
        full["input_size"], full["classes"] = int(full["input_size"]), int(full["classes"])
        full["hidden"] = [int(h) for h in full["hidden"]]
        full["dropout"], full["seed"] = float(full["dropout"]), int(full["seed"])
        full["batch_norm"] = bool(full["batch_norm"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"network spec has a value of the wrong type: {exc}") from None
    if full["input_size"] < 1 or full["classes"] < 2 or any(h < 1 for h in full["hidden"]):
        raise ConfigError(f"network sizes must be positive (and classes >= 2): input "
                          f"{full['input_size']}, hidden {full['hidden']}, "
                          f"classes {full['classes']}")
    if full["activation"] not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {full['activation']!r}; choose one of "
                          f"{', '.join(ACTIVATIONS)}")
    if full["init"] not in INITIALISERS:
        raise ConfigError(f"unknown init {full['init']!r}; choose one of {', '.join(INITIALISERS)}")
    if not 0.0 <= full["dropout"] < 1.0:
        raise ConfigError(f"dropout must be in [0, 1), got {full['dropout']}")
    if full["dtype"] not in ("float32", "float64"):
        raise ConfigError(f"dtype must be 'float32' or 'float64', got {full['dtype']!r}")
    return full


class DenseNet(Sequential):
    """A dense classifier described by a JSON-able spec: ``Flatten``, then per hidden size
    ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``, then ``Linear`` to the logits.

    ``spec`` keys (all optional): ``input_size`` (784), ``hidden`` ([64, 32, 16]: the report's
    network), ``classes`` (10), ``activation`` ("relu"), ``init`` ("xavier_report"),
    ``dropout`` (0.0), ``batch_norm`` (False), ``seed`` (0: weights and dropout masks),
    ``dtype`` ("float32").

    Attributes:
        spec: the full, normalised spec (what a model file stores as its architecture).
        generator: the ``numpy.random.Generator`` every dropout layer draws its masks from.

    >>> model = DenseNet({"hidden": [256, 128], "batch_norm": True, "dropout": 0.2})
    """

    kind = "mlp"  # the architecture kind in model files

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        full = normalise_spec(spec or {})
        rng = np.random.default_rng(full["seed"])
        dtype = np.dtype(full["dtype"])
        generator = np.random.default_rng(rng.integers(2**63))
        layers: list[Module] = [Flatten()]
        width = full["input_size"]
        for size in full["hidden"]:
            layers.append(Linear(width, size, bias=not full["batch_norm"], init=full["init"],
                                 rng=rng, dtype=dtype))
            if full["batch_norm"]:
                layers.append(BatchNorm1d(size, dtype=dtype))
            layers.append(ACTIVATIONS[full["activation"]]())
            if full["dropout"]:
                layers.append(Dropout(full["dropout"], rng=generator))
            width = size
        layers.append(Linear(width, full["classes"], init=full["init"], rng=rng, dtype=dtype))
        super().__init__(*layers)
        self.spec: dict[str, Any] = full
        self.generator: np.random.Generator = generator

    def architecture(self) -> dict[str, Any]:
        """What a model file records to rebuild this network: ``{"kind": "mlp", **spec}``."""
        return {"kind": self.kind, **self.spec}

    def load_report_weights(self, network: Any) -> None:
        """Copy a :class:`telar.handwritten.HandwrittenNetwork`'s weights (its ``W`` is
        ``(n_in, n_out)``, a Linear's ``(n_out, n_in)``), so both engines start alike."""
        linears = [m for m in self.modules() if isinstance(m, Linear)]
        for layer, w, b in zip(linears, network.weights, network.biases, strict=True):
            layer.weight.data[...] = w.T
            layer.bias.data[...] = b


def build_mlp(spec: dict[str, Any]) -> DenseNet:
    """``DenseNet(spec)``: the dense network a spec describes (kept for existing callers)."""
    return DenseNet(spec)
