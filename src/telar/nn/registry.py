"""The layer registry :data:`LAYERS`: every layer a layer list (``--layers``) may name.

Each :class:`LayerEntry` holds

- the layer's arguments (:class:`Arg`: name, constraint from :mod:`telar.constraints`,
  default, aliases): the grammar's checks and the canonical form come from them;
- its *plan*: per-sample input shape -> ``(output shape, parameter count)``, arithmetic only,
  so a description is checked and sized before any array exists (``linear`` needs no input
  width and ``conv`` no input channel count: the plan infers them);
- its *builder*: the module, its weights drawn from the shared generator;
- a one-line summary, for ``--help`` (:func:`grammar_help`).

For ``conv(32,3,pad=1)`` on ``(1, 28, 28)``: output ``(32, 28, 28)``, parameters
``32 * 1 * 3 * 3 + 32 = 320``.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.constraints import (
    DROPOUT,
    NORM_EPS,
    PADDING,
    RUNNING_MOMENTUM,
    WIDTH,
    WINDOW,
    Boolean,
    Constraint,
    Either,
    Integer,
    ListOf,
    Number,
    OneOf,
    Optional,
    Pair,
)
from telar.engine.windows import output_size
from telar.nn.activation import ACTIVATIONS
from telar.nn.conv import AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout2d, MaxPool2d
from telar.nn.init import INIT
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Linear, Unflatten
from telar.nn.module import Module
from telar.nn.recurrent import GATES, FinalState

Shape = tuple[int, ...]
REQUIRED = object()  # the default of an argument that must be given


@dataclass(frozen=True)
class Arg:
    """One argument of a layer; ``variadic`` collects every positional value into a list."""

    name: str
    constraint: Constraint
    default: Any = REQUIRED
    aliases: tuple[str, ...] = ()
    variadic: bool = False


@dataclass
class BuildContext:
    """What builders share: the weight generator, the dropout generator and the dtype."""

    rng: np.random.Generator
    dropout_rng: np.random.Generator
    dtype: np.dtype


#: ``plan(args, input shape) -> (output shape, parameters)``; ValueError names the problem.
Plan = Callable[[dict[str, Any], Shape], tuple[Shape, int]]
#: ``build(args, input shape, context) -> module``.
Builder = Callable[[dict[str, Any], Shape, BuildContext], Module]


@dataclass(frozen=True)
class LayerEntry:
    """A layer of the grammar: its arguments, plan, builder and a one-line description."""

    name: str
    args: tuple[Arg, ...]
    plan: Plan
    build: Builder
    summary: str
    aliases: tuple[str, ...] = ()

    def arg(self, name: str) -> Arg | None:
        for arg in self.args:
            if name == arg.name or name in arg.aliases:
                return arg
        return None


# --------------------------------------------------------------------------- plans and builders
def _need_image(shape: Shape, what: str) -> None:
    if len(shape) != 3:
        hint = " (start with 'unflatten(1,28,28)' for flat 784-pixel rows)" \
            if len(shape) == 1 else ""
        raise ValueError(f"{what} needs image input (C, H, W), got shape {shape}{hint}")


def _two(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _fits(out: Shape, kernel: tuple[int, int], shape: Shape) -> Shape:
    if min(out[1:]) < 1:
        raise ValueError(f"kernel {kernel[0]}x{kernel[1]} does not fit the input "
                         f"{shape[1]}x{shape[2]} (shape {shape})")
    return out


def _plan_conv(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    """``Ho = floor((H + 2p - d(k - 1) - 1) / s) + 1``; ``out * C * kh * kw (+ out)`` weights."""
    _need_image(shape, "conv")
    (kh, kw), (sh, sw), (dh, dw) = _two(a["kernel"]), _two(a["stride"]), _two(a["dilation"])
    if a["padding"] == "same":
        if (sh, sw) != (1, 1) or dh * (kh - 1) % 2 or dw * (kw - 1) % 2:
            raise ValueError("padding=same needs stride 1 and an odd kernel")
        out = (a["out"], shape[1], shape[2])
    else:
        ph, pw = _two(a["padding"])
        out = (a["out"], output_size(shape[1], kh, sh, ph, dh),
               output_size(shape[2], kw, sw, pw, dw))
    weights = a["out"] * shape[0] * kh * kw + (a["out"] if a["bias"] else 0)
    return _fits(out, (kh, kw), shape), weights


def _build_conv(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> Module:
    return Conv2d(shape[0], a["out"], _two(a["kernel"]), _two(a["stride"]),
                  a["padding"] if a["padding"] == "same" else _two(a["padding"]),
                  _two(a["dilation"]), bias=a["bias"], init=a["init"], rng=ctx.rng,
                  dtype=ctx.dtype)


def _plan_linear(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    """``in * out (+ out)`` weights."""
    if len(shape) != 1:
        raise ValueError(f"linear needs flat features, got shape {shape} (add 'flatten' "
                         "before it)")
    return (a["out"],), shape[0] * a["out"] + (a["out"] if a["bias"] else 0)


def _build_linear(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> Module:
    return Linear(shape[0], a["out"], bias=a["bias"], init=a["init"], rng=ctx.rng,
                  dtype=ctx.dtype)


_NORMS = {1: BatchNorm1d, 3: BatchNorm2d}


def _plan_bn(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    """``gamma`` and ``beta`` per feature or channel (when ``affine``)."""
    if len(shape) not in _NORMS:
        raise ValueError(f"bn needs features (F,) or images (C, H, W), got shape {shape}")
    return shape, 2 * shape[0] if a["affine"] else 0


def _build_bn(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> Module:
    return _NORMS[len(shape)](shape[0], eps=a["eps"], momentum=a["momentum"],
                              affine=a["affine"], dtype=ctx.dtype)


def _pool(kind: type[MaxPool2d] | type[AvgPool2d], what: str) -> tuple[Plan, Builder]:
    """A pooling layer's plan and builder (the module holds no array, so the plan makes one
    to use its own checks and output shape)."""

    def make(a: dict[str, Any]) -> MaxPool2d | AvgPool2d:
        extra = {"count_include_pad": a["count_include_pad"]} if kind is AvgPool2d else {}
        stride = a["kernel"] if a["stride"] is None else a["stride"]
        return kind(_two(a["kernel"]), _two(stride), _two(a["padding"]), **extra)

    def plan(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
        _need_image(shape, what)
        layer = make(a)
        return _fits(layer.output_shape(shape), layer.kernel_size, shape), 0

    return plan, lambda a, shape, ctx: make(a)


def _plan_gap(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    _need_image(shape, "gap")
    return (shape[0], *_two(a["output"])), 0


def _plan_dropout2d(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    _need_image(shape, "dropout2d")
    return shape, 0


def _plan_unflatten(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    new = tuple(a["shape"])
    if len(shape) != 1 or math.prod(new) != shape[0]:
        raise ValueError(f"cannot reshape {shape} into {new}")
    return new, 0


def _sequence(shape: Shape, what: str) -> tuple[int, int]:
    """``(steps, features)`` of a per-sample input read as a sequence: an image ``(C, H, W)``
    row by row (``H`` steps of ``C * W``), a sequence ``(T, F)`` as it is."""
    if len(shape) == 3:
        return shape[1], shape[0] * shape[2]
    if len(shape) == 2:
        return shape[0], shape[1]
    hint = " (start with 'unflatten(1,28,28)' for flat 784-pixel rows)" if len(shape) == 1 else ""
    raise ValueError(f"{what} needs images (C, H, W) or sequences (T, F), got shape "
                     f"{shape}{hint}")


def _recurrent(mode: str, what: str) -> tuple[Plan, Builder]:
    """A recurrent layer's plan and builder: per layer and direction ``G * h * (in + h)``
    weights and ``2 * G * h`` biases (``G`` gates), the output ``(D * h,)``."""

    def cell(a: dict[str, Any]) -> str:
        return f"RNN_{a['nonlinearity'].upper()}" if mode == "RNN" else mode

    def plan(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
        _, features = _sequence(shape, what)
        hidden, directions = a["hidden"], 2 if a["bidirectional"] else 1
        gates = GATES[cell(a)] * hidden
        total = 0
        for layer in range(a["layers"]):
            width = features if layer == 0 else directions * hidden
            total += directions * (gates * (width + hidden) + (2 * gates if a["bias"] else 0))
        return (directions * hidden,), total

    def build(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> Module:
        return FinalState(cell(a), _sequence(shape, what)[1], a["hidden"], a["layers"],
                          a["bias"], a["dropout"], a["bidirectional"], ctx.dtype, ctx.rng,
                          ctx.dropout_rng)

    return plan, build


def _same_shape(a: dict[str, Any], shape: Shape) -> tuple[Shape, int]:
    return shape, 0


def _activation_entry(name: str) -> LayerEntry:
    """An activation's entry, its arguments read off the module's signature."""
    cls = ACTIVATIONS[name]
    args = []
    for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        default = param.default
        rule: Constraint = (OneOf(("none", "tanh")) if param.name == "approximate" else
                            Integer() if isinstance(default, int) else Number())
        args.append(Arg(param.name, rule, default))

    def build(a: dict[str, Any], shape: Shape, ctx: BuildContext) -> Module:
        return cls(**a)

    doc = f"{cls.__name__}: " + (cls.__doc__ or name).strip().splitlines()[0].replace("``", "")
    return LayerEntry(name, tuple(args), _same_shape, build, doc,
                      aliases=(name.replace("_", ""),) if "_" in name else ())


# --------------------------------------------------------------------------- the registry
_KERNEL = Arg("kernel", Pair(WINDOW), aliases=("kernel_size", "k"))
_POOL_ARGS = (_KERNEL, Arg("stride", Optional(Pair(WINDOW)), None),
              Arg("padding", Pair(PADDING), 0, aliases=("pad",)))
_BIAS, _INIT = Arg("bias", Boolean(), True), Arg("init", INIT, "pytorch")
_P = Arg("p", DROPOUT, 0.5, aliases=("rate",))
_RECURRENT_ARGS = (
    Arg("hidden", WIDTH, aliases=("hidden_size", "out")),
    Arg("layers", Integer(1, 16), 1, aliases=("num_layers",)),
    Arg("bidirectional", Boolean(), False),
    Arg("dropout", DROPOUT, 0.0),  # between stacked layers, in training
    _BIAS,
)

LAYERS: dict[str, LayerEntry] = {entry.name: entry for entry in [
    LayerEntry("conv", (
        Arg("out", WIDTH, aliases=("out_channels", "channels")),
        _KERNEL,
        Arg("stride", Pair(WINDOW), 1),
        Arg("padding", Either(OneOf(("same",)), Pair(PADDING)), 0, aliases=("pad",)),
        Arg("dilation", Pair(WINDOW), 1),
        _BIAS, _INIT,
    ), _plan_conv, _build_conv,
        "Conv2d: out channels, square (or HxW) kernel; input channels inferred",
        aliases=("conv2d",)),
    LayerEntry("linear", (Arg("out", WIDTH, aliases=("out_features", "units")), _BIAS, _INIT),
               _plan_linear, _build_linear, "Linear: out features; input features inferred",
               aliases=("dense", "fc")),
    LayerEntry("bn", (
        Arg("eps", NORM_EPS, 1e-5),
        Arg("momentum", RUNNING_MOMENTUM, 0.1),
        Arg("affine", Boolean(), True),
    ), _plan_bn, _build_bn,
        "BatchNorm1d on features, BatchNorm2d on images (chosen by the input)",
        aliases=("batchnorm", "batch_norm")),
    LayerEntry("maxpool", _POOL_ARGS, *_pool(MaxPool2d, "maxpool"),
               "MaxPool2d: kernel, stride (default: the kernel), padding",
               aliases=("maxpool2d", "max_pool")),
    LayerEntry("avgpool", (*_POOL_ARGS, Arg("count_include_pad", Boolean(), True)),
               *_pool(AvgPool2d, "avgpool"),
               "AvgPool2d: kernel, stride (default: the kernel), padding",
               aliases=("avgpool2d", "avg_pool")),
    LayerEntry("gap", (Arg("output", Pair(WINDOW), 1, aliases=("output_size",)),),
               _plan_gap, lambda a, shape, ctx: AdaptiveAvgPool2d(_two(a["output"])),
               "AdaptiveAvgPool2d: output grid size (1: global average pooling)",
               aliases=("adaptiveavgpool", "adaptive_avg_pool", "globalavgpool")),
    LayerEntry("dropout", (_P,), _same_shape,
               lambda a, shape, ctx: Dropout(a["p"], rng=ctx.dropout_rng),
               "Dropout: zero each value with probability p in training"),
    LayerEntry("dropout2d", (_P,), _plan_dropout2d,
               lambda a, shape, ctx: Dropout2d(a["p"], rng=ctx.dropout_rng),
               "Dropout2d: zero whole channels with probability p"),
    LayerEntry("flatten", (), lambda a, shape: ((math.prod(shape),), 0),
               lambda a, shape, ctx: Flatten(), "Flatten: (C, H, W) -> (C*H*W,)"),
    LayerEntry("unflatten", (Arg("shape", ListOf(Integer(min=1), min_len=1, noun="dimension"),
                                 variadic=True),),
               _plan_unflatten, lambda a, shape, ctx: Unflatten(1, tuple(a["shape"])),
               "Unflatten: flat rows to a shape, e.g. unflatten(1,28,28)",
               aliases=("reshape",)),
    LayerEntry("lstm", _RECURRENT_ARGS, *_recurrent("LSTM", "lstm"),
               "LSTM over image rows (28 steps of 28 pixels); outputs the final hidden state",
               ),
    LayerEntry("gru", _RECURRENT_ARGS, *_recurrent("GRU", "gru"),
               "GRU over image rows; outputs the final hidden state"),
    LayerEntry("rnn", (*_RECURRENT_ARGS, Arg("nonlinearity", OneOf(("tanh", "relu")), "tanh")),
               *_recurrent("RNN", "rnn"),
               "Elman RNN (tanh or relu) over image rows; outputs the final hidden state"),
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


WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")  # a bare word of the text form


def text_of(value: Any) -> str:
    """A value as the text form writes it: ``true``, ``3x5``, ``none``, ``he_normal``, ``0.3``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    if isinstance(value, str) and not WORD.fullmatch(value):
        return repr(value)
    return str(value)


def grammar_help() -> str:
    """One line per layer: name, aliases, arguments with defaults, description (for --help)."""
    lines = []
    for entry in LAYERS.values():
        args = ", ".join(a.name if a.default is REQUIRED else f"{a.name}={text_of(a.default)}"
                         for a in entry.args)
        alias = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
        lines.append(f"{entry.name}({args}){alias}: {entry.summary}")
    return "\n".join(lines)
