"""Describe a sequential network in one line or as a list, and build it: the layer registry.

The text form names the layers in order, with positional and keyword arguments::

    conv(32,3,pad=1) bn relu maxpool(2) conv(64,3,pad=1) bn relu maxpool(2)
    flatten linear(128) relu dropout(0.3) linear(10)

Layers are separated by spaces (or commas, or ``->``); values are integers, floats,
``true``/``false``, words (``same``, ``he_normal``) and pairs written ``3x5``. The list form (JSON
or TOML) says the same with one table per layer, ``{"layer": "conv", "out": 32, "kernel": 3,
"padding": 1}``; a list item may also be a string in the text form (``"relu"``,
``"maxpool(2)"``). In TOML::

    layers = ["conv(32,3,pad=1)", "relu", {layer = "maxpool", kernel = 2}, "flatten",
              "linear(10)"]

Everything derives from one registry, :data:`LAYERS`: each entry holds the layer's arguments
(name, default, validator, aliases) and its builder, which also infers the output shape from
the input shape, so ``conv`` needs no input-channel count and ``linear`` no input width.
:func:`parse_layers` gives the canonical list (layer names and argument names resolved, values
checked, defaults left out): JSON- and TOML-able, what a model file stores.
:func:`build_sequential` builds it for an input shape (``(1, 28, 28)`` for images; flat
``(784,)`` rows need ``unflatten(1,28,28)`` first) and :func:`layers_to_text` writes it back.
Every mistake raises a one-line :class:`ConfigError` naming the layer, e.g.
``layer 3 'maxpool(5)': kernel 5x5 does not fit the input 4x4 (shape (32, 4, 4))``.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.errors import ConfigError
from telar.nn.activation import ACTIVATIONS
from telar.nn.container import Sequential
from telar.nn.conv import AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout2d, MaxPool2d
from telar.nn.init import INITIALISERS
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Linear, Unflatten
from telar.nn.module import Module

Shape = tuple[int, ...]
REQUIRED = object()  # the default of an argument that must be given


# --------------------------------------------------------------------------- validators
def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"must be a non-negative integer, got {value!r}")
    return int(value)


def _pair_of(check: Callable[[Any], int]) -> Callable[[Any], int | list[int]]:
    def pair(value: Any) -> int | list[int]:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"must be one integer or two (HxW), got {value!r}")
            first, second = check(value[0]), check(value[1])
            return first if first == second else [first, second]
        return check(value)

    return pair


size = _pair_of(positive_int)
offset = _pair_of(non_negative_int)


def padding(value: Any) -> int | list[int] | str:
    return "same" if value == "same" else offset(value)


def probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"must be a probability in [0, 1), got {value!r}")
    return float(value)


def positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return float(value)


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"must be a number, got {value!r}")
    return float(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    def choice(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    return choice


def shape_list(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"must be a list of positive integers, got {value!r}")
    return [positive_int(v) for v in value]


initialiser = one_of(*INITIALISERS)


# --------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Arg:
    """One argument of a layer: ``check`` validates and converts a value (raises ValueError)."""

    name: str
    check: Callable[[Any], Any]
    default: Any = REQUIRED
    aliases: tuple[str, ...] = ()
    variadic: bool = False  # collects every positional value into a list


@dataclass
class BuildContext:
    """What builders share: the weight generator, the dropout generator and the dtype."""

    rng: np.random.Generator
    dropout_rng: np.random.Generator
    dtype: np.dtype


Builder = Callable[[dict[str, Any], Shape, BuildContext], tuple[Module, Shape]]


@dataclass(frozen=True)
class LayerEntry:
    """A layer of the grammar: its arguments, its builder and a one-line description."""

    name: str
    args: tuple[Arg, ...]
    build: Builder
    summary: str
    aliases: tuple[str, ...] = ()

    def arg(self, name: str) -> Arg | None:
        for arg in self.args:
            if name == arg.name or name in arg.aliases:
                return arg
        return None


def _need_image(shape: Shape, what: str) -> None:
    if len(shape) != 3:
        hint = " (start with 'unflatten(1,28,28)' for flat 784-pixel rows)" \
            if len(shape) == 1 else ""
        raise ValueError(f"{what} needs image input (C, H, W), got shape {shape}{hint}")


def _two(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _build_conv(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    _need_image(shape, "conv")
    layer = Conv2d(shape[0], a["out"], _two(a["kernel"]), _two(a["stride"]),
                   a["padding"] if a["padding"] == "same" else _two(a["padding"]),
                   _two(a["dilation"]), bias=a["bias"], init=a["init"], rng=ctx.rng,
                   dtype=ctx.dtype)
    (kh, kw), (dh, dw) = layer.kernel_size, layer.dilation
    if a["padding"] == "same" and (layer.stride != (1, 1) or dh * (kh - 1) % 2 or
                                   dw * (kw - 1) % 2):
        raise ValueError("padding=same needs stride 1 and an odd kernel")
    out = layer.output_shape(shape)
    if min(out[1:]) < 1:
        raise ValueError(f"kernel {kh}x{kw} does not fit the input {shape[1]}x{shape[2]} "
                         f"(shape {shape})")
    return layer, out


def _build_linear(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    if len(shape) != 1:
        raise ValueError(f"linear needs flat features, got shape {shape} (add 'flatten' "
                         "before it)")
    return (Linear(shape[0], a["out"], bias=a["bias"], init=a["init"], rng=ctx.rng,
                   dtype=ctx.dtype), (a["out"],))


def _build_bn(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    kinds = {1: BatchNorm1d, 3: BatchNorm2d}
    if len(shape) not in kinds:
        raise ValueError(f"bn needs features (F,) or images (C, H, W), got shape {shape}")
    return kinds[len(shape)](shape[0], eps=a["eps"], momentum=a["momentum"],
                             affine=a["affine"], dtype=ctx.dtype), shape


def _pool_builder(kind: type[MaxPool2d] | type[AvgPool2d], what: str) -> Builder:
    def build(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
        _need_image(shape, what)
        extra = {"count_include_pad": a["count_include_pad"]} if kind is AvgPool2d else {}
        stride = a["kernel"] if a["stride"] is None else a["stride"]
        layer = kind(_two(a["kernel"]), _two(stride), _two(a["padding"]), **extra)
        (kh, kw) = layer.kernel_size
        out = layer.output_shape(shape)
        if min(out[1:]) < 1:
            raise ValueError(f"kernel {kh}x{kw} does not fit the input {shape[1]}x{shape[2]} "
                             f"(shape {shape})")
        return layer, out

    return build


def _build_gap(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    _need_image(shape, "gap")
    layer = AdaptiveAvgPool2d(_two(a["output"]))
    return layer, layer.output_shape(shape)


def _build_dropout(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    return Dropout(a["p"], rng=ctx.dropout_rng), shape


def _build_dropout2d(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    _need_image(shape, "dropout2d")
    return Dropout2d(a["p"], rng=ctx.dropout_rng), shape


def _build_flatten(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    return Flatten(), (math.prod(shape),)


def _build_unflatten(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
    new = tuple(a["shape"])
    if len(shape) != 1 or math.prod(new) != shape[0]:
        raise ValueError(f"cannot reshape {shape} into {new}")
    return Unflatten(1, new), new


def _activation_entry(name: str) -> LayerEntry:
    """An activation's entry, its arguments read off the module's signature."""
    cls = ACTIVATIONS[name]
    args = []
    for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        default = param.default
        check = (one_of("none", "tanh") if param.name == "approximate" else number)
        args.append(Arg(param.name, check, default))

    def build(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> tuple[Module, Shape]:
        return cls(**a), shape

    doc = f"{cls.__name__}: " + (cls.__doc__ or name).strip().splitlines()[0].replace("``", "")
    return LayerEntry(name, tuple(args), build, doc,
                      aliases=(name.replace("_", ""),) if "_" in name else ())


_POOL_ARGS = (Arg("kernel", size, aliases=("kernel_size", "k")),
              Arg("stride", lambda v: None if v is None else size(v), None),
              Arg("padding", offset, 0, aliases=("pad",)))

LAYERS: dict[str, LayerEntry] = {entry.name: entry for entry in [
    LayerEntry("conv", (
        Arg("out", positive_int, aliases=("out_channels", "channels")),
        Arg("kernel", size, aliases=("kernel_size", "k")),
        Arg("stride", size, 1),
        Arg("padding", padding, 0, aliases=("pad",)),
        Arg("dilation", size, 1),
        Arg("bias", boolean, True),
        Arg("init", initialiser, "pytorch"),
    ), _build_conv, "Conv2d: out channels, square (or HxW) kernel; input channels inferred",
        aliases=("conv2d",)),
    LayerEntry("linear", (
        Arg("out", positive_int, aliases=("out_features", "units")),
        Arg("bias", boolean, True),
        Arg("init", initialiser, "pytorch"),
    ), _build_linear, "Linear: out features; input features inferred",
        aliases=("dense", "fc")),
    LayerEntry("bn", (
        Arg("eps", positive_float, 1e-5),
        Arg("momentum", probability, 0.1),
        Arg("affine", boolean, True),
    ), _build_bn, "BatchNorm1d on features, BatchNorm2d on images (chosen by the input)",
        aliases=("batchnorm", "batch_norm")),
    LayerEntry("maxpool", _POOL_ARGS, _pool_builder(MaxPool2d, "maxpool"),
               "MaxPool2d: kernel, stride (default: the kernel), padding",
               aliases=("maxpool2d", "max_pool")),
    LayerEntry("avgpool", (*_POOL_ARGS, Arg("count_include_pad", boolean, True)),
               _pool_builder(AvgPool2d, "avgpool"),
               "AvgPool2d: kernel, stride (default: the kernel), padding",
               aliases=("avgpool2d", "avg_pool")),
    LayerEntry("gap", (Arg("output", size, 1, aliases=("output_size",)),),
               _build_gap, "AdaptiveAvgPool2d: output grid size (1: global average pooling)",
               aliases=("adaptiveavgpool", "adaptive_avg_pool", "globalavgpool")),
    LayerEntry("dropout", (Arg("p", probability, 0.5, aliases=("rate",)),), _build_dropout,
               "Dropout: zero each value with probability p in training"),
    LayerEntry("dropout2d", (Arg("p", probability, 0.5, aliases=("rate",)),),
               _build_dropout2d, "Dropout2d: zero whole channels with probability p"),
    LayerEntry("flatten", (), _build_flatten, "Flatten: (C, H, W) -> (C*H*W,)"),
    LayerEntry("unflatten", (Arg("shape", shape_list, variadic=True),), _build_unflatten,
               "Unflatten: flat rows to a shape, e.g. unflatten(1,28,28)",
               aliases=("reshape",)),
    *(_activation_entry(name) for name in ACTIVATIONS),
]}

_ALIASES: dict[str, str] = {alias: e.name for e in LAYERS.values() for alias in e.aliases}


def lookup(name: str) -> LayerEntry:
    """The registry entry called ``name`` (or one of its aliases, any case)."""
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key in LAYERS:
        return LAYERS[key]
    close = difflib.get_close_matches(key, [*LAYERS, *_ALIASES], n=1)
    hint = f" (did you mean {_ALIASES.get(close[0], close[0])}?)" if close else \
        f"; known: {', '.join(LAYERS)}"
    raise ValueError(f"unknown layer {name!r}{hint}")


# --------------------------------------------------------------------------- text form
_LAYER = re.compile(r"\s*(?:(?:,|->|\|)\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_PAIR = re.compile(r"(\d+)[xX](\d+)")


def _value(text: str) -> Any:
    """A literal: int, float, true/false, none, HxW pair, quoted or bare word."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _PAIR.fullmatch(text):
        return [int(v) for v in _PAIR.fullmatch(text).groups()]  # type: ignore[union-attr]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", text):
        return text
    raise ValueError(f"cannot read the value {text!r}")


def _split_text(text: str) -> list[tuple[str, str | None]]:
    """``[(layer source, argument text or None)]`` for every layer in ``text``."""
    found, pos = [], 0
    while pos < len(text) and text[pos:].strip():
        match = _LAYER.match(text, pos)
        if not match:
            rest = text[pos:].strip()
            why = "unbalanced or nested parentheses" if "(" in rest[:1] or rest.count("(") != \
                rest.count(")") else "not a layer"
            raise ConfigError(f"cannot read the layer list at {rest[:20]!r} (character "
                              f"{len(text) - len(text[pos:].lstrip()) + 1}): {why}; write "
                              "layers as name or name(args), e.g. 'conv(32,3,pad=1) relu'")
        found.append((match.group(0).strip().lstrip(",|->").strip(), match.group(2)))
        pos = match.end()
    return found


def _text_item(source: str, args: str | None) -> dict[str, Any]:
    """One layer's text as a raw dict: ``{"layer": name, key: value, "_positional": [...]}``."""
    name = source.split("(")[0].strip()
    item: dict[str, Any] = {"layer": name}
    positional: list[Any] = []
    if args and args.strip():
        for part in args.split(","):
            if "=" in part:
                key, value = part.split("=", 1)
                key = key.strip()
                if key in item:
                    raise ValueError(f"argument {key!r} given twice")
                item[key] = _value(value)
            elif len(item) > 1:
                raise ValueError("positional arguments must come before keyword ones")
            else:
                positional.append(_value(part))
    if positional:
        item["_positional"] = positional
    return item


def _canonical(item: dict[str, Any]) -> dict[str, Any]:
    """A raw layer dict checked against its registry entry; defaults left out."""
    raw = dict(item)
    name = raw.pop("layer", None)
    if not isinstance(name, str):
        raise ValueError("needs a 'layer' key naming the layer")
    entry = lookup(name)
    positional = raw.pop("_positional", [])
    values: dict[str, Any] = {}
    if positional:
        if entry.args and entry.args[0].variadic:
            values[entry.args[0].name] = positional
        elif not entry.args:
            raise ValueError(f"{entry.name} takes no arguments")
        elif len(positional) > len(entry.args):
            raise ValueError(f"{entry.name} takes at most {len(entry.args)} positional "
                             f"arguments ({', '.join(a.name for a in entry.args)}), "
                             f"got {len(positional)}")
        else:
            values.update({a.name: v for a, v in zip(entry.args, positional, strict=False)})
    for key, value in raw.items():
        arg = entry.arg(key)
        if arg is None:
            names = [n for a in entry.args for n in (a.name, *a.aliases)]
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"{entry.name} has no argument {key!r}{hint}; it takes "
                             f"{', '.join(a.name for a in entry.args) or 'none'}")
        if arg.name in values:
            raise ValueError(f"argument {arg.name!r} given twice")
        values[arg.name] = value
    out: dict[str, Any] = {"layer": entry.name}
    for arg in entry.args:
        if arg.name not in values:
            if arg.default is REQUIRED:
                raise ValueError(f"{entry.name} needs {arg.name!r} "
                                 f"(arguments: {', '.join(a.name for a in entry.args)})")
            continue
        try:
            value = arg.check(values[arg.name])
        except ValueError as exc:
            raise ValueError(f"{arg.name} {exc}") from None
        if value != arg.default:
            out[arg.name] = value
    return out


def _source(item: Any) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        return ", ".join(f"{k}={v!r}" if k != "layer" else str(v) for k, v in item.items())
    return repr(item)


def _items(layers: str | Sequence[Any]) -> list[tuple[str, dict[str, Any]]]:
    """``[(source text, raw dict)]`` from the text form or the list form."""
    if isinstance(layers, str):
        return [(src, {"_args": args}) for src, args in _split_text(layers)]
    if not isinstance(layers, (list, tuple)):
        raise ConfigError(f"a layer list must be a string or a list, got {type(layers).__name__}")
    items: list[tuple[str, dict[str, Any]]] = []
    for item in layers:
        if isinstance(item, str):
            parts = _split_text(item)
            if len(parts) != 1:
                raise ConfigError(f"layer {len(items) + 1} {item!r}: one layer per list item")
            items.append((parts[0][0], {"_args": parts[0][1]}))
        else:
            items.append((_source(item), item))
    return items


def normalise_layers(layers: str | Sequence[Any]) -> list[dict[str, Any]]:
    """The canonical list for the text or list form (see :func:`parse_layers`)."""
    canonical = []
    items = _items(layers)
    if not items:
        raise ConfigError("the layer list is empty")
    for i, (source, raw) in enumerate(items, 1):
        try:
            if not isinstance(raw, dict):
                raise ValueError("each layer must be a table such as {layer = 'relu'} or a "
                                 "string such as 'relu'")
            if "_args" in raw:
                raw = _text_item(source, raw["_args"])
            canonical.append(_canonical(raw))
        except ValueError as exc:
            raise ConfigError(f"layer {i} {source!r}: {exc}") from None
    return canonical


def parse_layers(text: str) -> list[dict[str, Any]]:
    """The canonical layer list of ``text``: ``[{"layer": "conv", "out": 32, "kernel": 3,
    "padding": 1}, {"layer": "relu"}, ...]`` (JSON/TOML-able; defaults left out).

    >>> parse_layers("conv(32,3,pad=1) relu maxpool(2)")[0]
    {'layer': 'conv', 'out': 32, 'kernel': 3, 'padding': 1}
    """
    if not isinstance(text, str):
        raise ConfigError(f"a layer list in text form must be a string, got "
                          f"{type(text).__name__}")
    return normalise_layers(text)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value):
        return repr(value)
    return str(value)


def layers_to_text(layers: str | Sequence[Any]) -> str:
    """The canonical text of a layer list: required arguments positional, the others as
    ``key=value``, defaults left out; ``parse_layers(layers_to_text(x)) == parse_layers(x)``."""
    parts = []
    for layer in normalise_layers(layers):
        entry = LAYERS[layer["layer"]]
        args: list[str] = []
        positional = True  # positional while no argument before was left out
        for arg in entry.args:
            if arg.name not in layer:
                positional = False
                continue
            value = layer[arg.name]
            if arg.variadic:
                args.extend(str(v) for v in value)
            elif positional:
                args.append(_format(value))
            else:
                args.append(f"{arg.name}={_format(value)}")
        parts.append(entry.name + (f"({','.join(args)})" if args else ""))
    return " ".join(parts)


# --------------------------------------------------------------------------- building
def infer_shapes(layers: str | Sequence[Any], input_shape: Sequence[int]) -> list[Shape]:
    """The per-sample output shape after each layer (builds the network to find them)."""
    model = build_sequential(layers, input_shape)
    return list(model.shapes)


class LayerNet(Sequential):
    """A sequential network described by a layer list (text or list form, see the module doc).

    ``spec`` keys: ``layers`` (text or list; stored canonical), ``input_shape`` (per sample,
    e.g. ``[784]`` for flat rows or ``[1, 28, 28]``), ``seed`` (0), ``dtype`` ("float32").
    Weights are drawn in layer order from ``default_rng(seed)``; all dropout layers share one
    generator seeded from it.

    Attributes:
        layers: the canonical layer list; input_shape: per-sample input shape;
        shapes: each layer's output shape; generator: the dropout layers' generator;
        spec: the normalised spec (what a model file stores, with ``kind = "layers"``).

    >>> net = LayerNet({"layers": "conv(32,3,pad=1) relu maxpool(2) flatten linear(10)",
    ...                 "input_shape": [1, 28, 28]})
    >>> net.shapes[-2]
    (6272,)
    """

    kind = "layers"  # the architecture kind in model files

    def __init__(self, spec: dict[str, Any]) -> None:
        unknown = sorted(set(spec) - {"layers", "input_shape", "seed", "dtype"})
        if unknown:
            raise ConfigError(f"unknown layer-network spec keys {unknown}")
        if "layers" not in spec or "input_shape" not in spec:
            raise ConfigError("a layer network needs 'layers' and 'input_shape'")
        canonical = normalise_layers(spec["layers"])
        try:
            shape = tuple(positive_int(s) for s in spec["input_shape"])
        except (TypeError, ValueError):
            raise ConfigError(f"the input shape must be positive integers, got "
                              f"{spec['input_shape']!r}") from None
        dtype, seed = spec.get("dtype", "float32"), spec.get("seed", 0)
        if dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
        rng = np.random.default_rng(seed)
        ctx = BuildContext(rng, np.random.default_rng(rng.integers(2**63)), np.dtype(dtype))
        modules, shapes = [], []
        sources = [layers_to_text([layer]) for layer in canonical]
        for i, (layer, source) in enumerate(zip(canonical, sources, strict=True), 1):
            entry = LAYERS[layer["layer"]]
            args = {a.name: layer.get(a.name, a.default) for a in entry.args}
            try:
                module, shape = entry.build(args, shape, ctx)
            except (ValueError, ConfigError) as exc:
                raise ConfigError(f"layer {i} {source!r}: {exc}") from None
            modules.append(module)
            shapes.append(shape)
        super().__init__(*modules)
        self.layers: list[dict[str, Any]] = canonical
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in spec["input_shape"])
        self.shapes: list[tuple[int, ...]] = shapes
        self.generator: np.random.Generator = ctx.dropout_rng
        self.spec: dict[str, Any] = {"layers": canonical, "input_shape": list(self.input_shape),
                                     "seed": seed, "dtype": dtype}

    def architecture(self) -> dict[str, Any]:
        """What a model file records to rebuild this network: ``{"kind": "layers", ...}``."""
        return {"kind": self.kind, **self.spec}


#: Layers that need images (channels, height, width), not flat rows.
IMAGE_LAYERS = ("conv", "maxpool", "avgpool", "gap", "dropout2d")


def on_flat_rows(layers: str | Sequence[Any], image_shape: Sequence[int] = (1, 28, 28)
                 ) -> list[dict[str, Any]]:
    """The canonical list, with ``unflatten(*image_shape)`` put first when the network starts
    on images, so it takes flat rows (as telar's data and model files give them); every
    shape is checked, and an error names the layer as the user numbered it."""
    canonical = normalise_layers(layers)
    flat = (int(np.prod(image_shape)),)
    if canonical and canonical[0]["layer"] in IMAGE_LAYERS:
        infer_shapes(canonical, tuple(image_shape))
        return normalise_layers([{"layer": "unflatten", "shape": list(image_shape)},
                                 *canonical])
    infer_shapes(canonical, flat)
    return canonical


def build_sequential(layers: str | Sequence[Any], input_shape: Sequence[int], seed: int = 0,
                     dtype: Any = "float32") -> LayerNet:
    """``LayerNet`` for ``layers`` on inputs of per-sample shape ``input_shape``.

    >>> net = build_sequential("conv(32,3,pad=1) relu maxpool(2) flatten linear(10)", (1, 28, 28))
    >>> net.shapes[-2]
    (6272,)
    """
    return LayerNet({"layers": layers, "input_shape": list(input_shape), "seed": seed,
                     "dtype": np.dtype(dtype).name})


def grammar_help() -> str:
    """One line per layer: name, aliases, arguments with defaults, description (for --help)."""
    lines = []
    for entry in LAYERS.values():
        args = ", ".join(a.name if a.default is REQUIRED else
                         f"{a.name}={_format(a.default) if a.default is not None else 'none'}"
                         for a in entry.args)
        alias = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
        lines.append(f"{entry.name}({args}){alias}: {entry.summary}")
    return "\n".join(lines)
