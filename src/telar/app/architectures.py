"""The one registry of network kinds: :data:`ARCHITECTURES` (kind -> :class:`Architecture`).

A model file's ``architecture`` (``{"kind": ..., ...}``) and a run's network are descriptions;
for each kind the registry says

- ``check``: the description checked with :mod:`telar.constraints` and normalised;
- ``footprint``: the parameters it declares, the other numbers its file stores (batch norm's
  running statistics) and the activation values one image makes, from the description alone
  (no array is made); :func:`describe` refuses a description over the one size budget
  (:data:`MAX_PARAMETERS`, :data:`MAX_ACTIVATIONS`) before anything is allocated, whether it
  came from options, ``--layers``, ``config.toml``, a model file or a checkpoint;
- ``widths``: its flat input width and number of outputs, where the description fixes them;
- ``build``: the network (fresh weights from the description's seed), ``load``: its arrays
  put in, and ``logits``: the inference function ``x -> class scores`` (evaluation mode).

Kinds: ``handwritten`` (``{"sizes": [784, 64, 32, 16, 10]}``, the report's network with
backprop by hand; ``seed`` is its name before 0.2), ``mlp`` (the dense spec, a shorthand that
:func:`telar.nn.dense_layers` expands to a layer list) and ``layers`` (a layer list).

>>> parameters({"kind": "mlp", "input_size": 784, "hidden": [64], "classes": 10})
50890
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.constraints import (
    MAX_INPUT_VALUES,
    SEED,
    Integer,
    ListOf,
    OneOf,
    Table,
    at,
)
from telar.engine import Tensor, no_grad
from telar.engine.array import to_host
from telar.engine.init_mode import skip_init
from telar.errors import ConfigError
from telar.handwritten import HandwrittenNetwork
from telar.nn import DenseNet, LayerNet, Module, normalise_spec
from telar.nn.dense import layer_net_spec
from telar.nn.layer_net import LAYER_NET_SPEC, footprint, plan_layers

Logits = Callable[[np.ndarray], np.ndarray]

#: The most parameters a network may declare: 100 million (400 MB as float32, 800 MB as the
#: hand-written network's float64; training keeps a few copies more: gradients, moments).
MAX_PARAMETERS = 100_000_000
#: The most activation values one image may make on its way through the network (16 MB as
#: float32): a batch of 128 then needs at most 2 GB. The standard CNN makes about 80,000.
MAX_ACTIVATIONS = 4_000_000
#: The most activation values one training batch may make (2 GB as float32).
MAX_BATCH_ACTIVATIONS = 512_000_000


@dataclass(frozen=True)
class Footprint:
    """What a description declares: ``parameters``, ``buffers`` (other numbers its file
    stores: batch norm's running statistics) and ``activations`` (values per image)."""

    parameters: int
    buffers: int
    activations: int

    @property
    def stored(self) -> int:
        """How many numbers a model file of this network holds: parameters + buffers."""
        return self.parameters + self.buffers


@dataclass(frozen=True)
class Architecture:
    """How one kind of description becomes a network (see the module doc)."""

    kind: str
    summary: str
    check: Callable[[dict[str, Any], str], dict[str, Any]]
    footprint: Callable[[dict[str, Any]], Footprint]
    widths: Callable[[dict[str, Any]], tuple[int | None, int | None]]
    build: Callable[[dict[str, Any]], Any]
    load: Callable[[Any, Mapping[str, np.ndarray]], None]
    logits: Callable[[Any], Logits]


# --------------------------------------------------------------------------- handwritten
HANDWRITTEN_SPEC = Table({
    "sizes": ListOf(Integer(1, MAX_INPUT_VALUES), min_len=2, noun="layer width"),
    "seed": SEED,
}, required=("sizes",), defaults={"seed": 0})


def _handwritten_footprint(d: dict[str, Any]) -> Footprint:
    """``sum(n_in * n_out + n_out)`` parameters over the layers; ``sum(sizes)`` activations."""
    sizes = d["sizes"]
    return Footprint(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)), 0,
                     sum(sizes))


def _load_handwritten(network: HandwrittenNetwork, arrays: Mapping[str, np.ndarray]) -> None:
    network.load_arrays(dict(arrays))


# --------------------------------------------------------------------------- modules
def _layers_footprint(d: dict[str, Any]) -> Footprint:
    return Footprint(*footprint(d["layers"], d["input_shape"]))


def _mlp_footprint(d: dict[str, Any]) -> Footprint:
    return _layers_footprint(layer_net_spec(d))


def _check_layers(d: dict[str, Any], where: str) -> dict[str, Any]:
    full = LAYER_NET_SPEC.check(d, where)
    plan_layers(full["layers"], full["input_shape"])  # every shape fits, nothing built
    return full


def _layers_widths(d: dict[str, Any]) -> tuple[int | None, int | None]:
    last = plan_layers(d["layers"], d["input_shape"])[-1].shape
    return math.prod(d["input_shape"]), last[0] if len(last) == 1 else None


def _load_module(model: Module, arrays: Mapping[str, np.ndarray]) -> None:
    model.load_state_dict(dict(arrays))


def _module_logits(model: Module) -> Logits:
    """Class scores of ``model`` in evaluation mode (running statistics, no dropout), no graph."""
    model.eval()

    def logits(x: np.ndarray) -> np.ndarray:
        # the rows go where the model lives, the scores come back to the host
        first = next(model.parameters(), None)
        with no_grad():
            inputs = Tensor(x if first is None else first.device.put(x))
            return to_host(model(inputs).array)

    return logits


# --------------------------------------------------------------------------- the registry
ARCHITECTURES: dict[str, Architecture] = {a.kind: a for a in (
    Architecture(
        "handwritten", "the report's dense ReLU network, backprop written by hand",
        check=HANDWRITTEN_SPEC.check, footprint=_handwritten_footprint,
        widths=lambda d: (d["sizes"][0], d["sizes"][-1]),
        build=lambda d: HandwrittenNetwork(d["sizes"], seed=d["seed"]),
        load=_load_handwritten, logits=lambda network: network.logits),
    Architecture(
        "mlp", "a dense network (the dense spec: a shorthand for a layer list)",
        check=normalise_spec, footprint=_mlp_footprint,
        widths=lambda d: (d["input_size"], d["classes"]),
        build=DenseNet, load=_load_module, logits=_module_logits),
    Architecture(
        "layers", "any network written as a layer list (conv nets)",
        check=_check_layers,
        footprint=_layers_footprint,
        widths=_layers_widths, build=LayerNet, load=_load_module, logits=_module_logits),
)}
#: Old names of a kind, still read from model files.
KIND_ALIASES = {"seed": "handwritten"}
KIND = OneOf(ARCHITECTURES, aliases=KIND_ALIASES)


def describe(architecture: Mapping[str, Any], where: str = "architecture", *,
             budget: bool = True) -> tuple[Architecture, dict[str, Any]]:
    """The registry entry and the checked description of ``{"kind": ..., ...}``; ConfigError
    naming the key (``architecture.hidden: expected ...``) when it is not a valid one, or
    with ``budget``, when it is over the size budget (:func:`check_budget`)."""
    if not isinstance(architecture, Mapping):
        raise ConfigError(f"{where}: expected a table, got {type(architecture).__name__}")
    entry = ARCHITECTURES[KIND.check(architecture.get("kind"), at(where, "kind"))]
    description = entry.check({k: v for k, v in architecture.items() if k != "kind"}, where)
    if budget:
        check_budget(entry.footprint(description), where)
    return entry, description


def check_budget(size: Footprint, where: str = "architecture") -> None:
    """ConfigError when ``size`` is over :data:`MAX_PARAMETERS` or :data:`MAX_ACTIVATIONS`:
    the one size budget every network meets before any of its arrays exists."""
    if size.parameters > MAX_PARAMETERS:
        raise ConfigError(f"{where}: {size.parameters:,} parameters "
                          f"({size.parameters * 4 / 1e9:,.1f} GB as float32); telar's limit "
                          f"is {MAX_PARAMETERS:,}: use narrower layers")
    if size.activations > MAX_ACTIVATIONS:
        raise ConfigError(f"{where}: one image makes {size.activations:,} activation values "
                          f"through the network; telar's limit is {MAX_ACTIVATIONS:,}: use "
                          "fewer channels, a stride or a pooling layer")


def check_batch(architecture: Mapping[str, Any], batch: int, where: str) -> None:
    """ConfigError when ``batch`` images at once would make more than
    :data:`MAX_BATCH_ACTIVATIONS` activation values in this network."""
    values = batch * footprint_of(architecture).activations
    if values > MAX_BATCH_ACTIVATIONS:
        raise ConfigError(f"{where}: {batch:,} images at once make {values:,} activation "
                          f"values in this network; telar's limit is "
                          f"{MAX_BATCH_ACTIVATIONS:,}: use a smaller batch")


def footprint_of(architecture: Mapping[str, Any]) -> Footprint:
    """What ``architecture`` declares (parameters, buffers, activations), no array made,
    whether or not it is within the budget."""
    entry, description = describe(architecture, budget=False)
    return entry.footprint(description)


def parameters(architecture: Mapping[str, Any]) -> int:
    """The parameters ``architecture`` declares, computed before any array exists."""
    return footprint_of(architecture).parameters


def build(architecture: Mapping[str, Any], where: str = "architecture") -> Any:
    """The network ``architecture`` describes, with fresh weights from its seed."""
    entry, description = describe(architecture, where)
    return entry.build(description)


def check_fits(architecture: Mapping[str, Any],
               arrays: Mapping[str, np.ndarray | tuple[int, ...]], *,
               input_shape: list[int] | None, classes: int
               ) -> tuple[Architecture, dict[str, Any]]:
    """Check a model file's architecture against the rest of the file before anything is
    built: the description is valid, its input width is the preprocessing's
    ``prod(input_shape)``, its outputs are the class names, it is within the size budget, and
    the numbers it declares (parameters and buffers) are exactly those of the file's arrays
    (``sum(array.size)``; ``arrays`` may be the shapes alone, as the file's manifest lists
    them before any array is read). ConfigError says which fails."""
    entry, description = describe(architecture)
    inputs, outputs = entry.widths(description)
    if input_shape is not None and inputs is not None and inputs != math.prod(input_shape):
        raise ConfigError(f"the architecture takes {inputs} inputs, the preprocessing makes "
                          f"{math.prod(input_shape)} ({' x '.join(map(str, input_shape))})")
    if outputs is not None and outputs != classes:
        raise ConfigError(f"the architecture has {outputs} outputs for {classes} class names")
    declared = entry.footprint(description).stored
    stored = sum(math.prod(a) if isinstance(a, tuple) else int(np.size(a))
                 for a in arrays.values())
    if declared != stored:
        raise ConfigError(f"architecture does not fit its weights: its layer shapes declare "
                          f"{declared:,} numbers, the file holds {stored:,}")
    return entry, description


def rebuild(architecture: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *,
            input_shape: list[int] | None, classes: int) -> tuple[Any, Logits]:
    """The network of a model file with its arrays loaded, and its logits function: first
    :func:`check_fits`, then build and load (a shape that differs is a ModelFileError)."""
    entry, description = check_fits(architecture, arrays, input_shape=input_shape,
                                     classes=classes)
    with skip_init():  # every weight is overwritten just below: none is drawn
        network = entry.build(description)
    entry.load(network, arrays)
    return network, entry.logits(network)

