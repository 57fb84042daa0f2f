"""Rebuild a dense network from a JSON-able description, without the code that trained it."""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.errors import ConfigError
from telar.nn.activation import ACTIVATIONS
from telar.nn.init import INITIALISERS
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Linear, Sequential

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


def build_mlp(spec: dict[str, Any]) -> Sequential:
    """A dense classifier: ``Flatten``, then per hidden size ``Linear -> [BatchNorm1d] ->
    activation -> [Dropout]``, then ``Linear`` to the class logits.

    ``spec`` keys (all optional): ``input_size`` (784), ``hidden`` ([64, 32, 16]: the report's
    network), ``classes`` (10), ``activation`` ("relu"), ``init`` ("xavier_report"),
    ``dropout`` (0.0), ``batch_norm`` (False), ``seed`` (0: weights and dropout masks),
    ``dtype`` ("float32"). The full, normalised spec is stored as ``model.spec``; dropout
    layers share one generator, ``model.generator``.

    >>> model = build_mlp({"hidden": [256, 128], "batch_norm": True, "dropout": 0.2})
    """
    spec = normalise_spec(spec)
    rng = np.random.default_rng(spec["seed"])
    dtype = np.dtype(spec["dtype"])
    dropout_rng = np.random.default_rng(rng.integers(2**63))
    layers: list = [Flatten()]
    width = spec["input_size"]
    for size in spec["hidden"]:
        layers.append(Linear(width, size, bias=not spec["batch_norm"], init=spec["init"],
                             rng=rng, dtype=dtype))
        if spec["batch_norm"]:
            layers.append(BatchNorm1d(size, dtype=dtype))
        layers.append(ACTIVATIONS[spec["activation"]]())
        if spec["dropout"]:
            layers.append(Dropout(spec["dropout"], rng=dropout_rng))
        width = size
    layers.append(Linear(width, spec["classes"], init=spec["init"], rng=rng, dtype=dtype))
    model = Sequential(*layers)
    model.spec = spec
    model.generator = dropout_rng
    return model
