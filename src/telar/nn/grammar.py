"""A layer list in text or list form -> the canonical list, and back to text.

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

:func:`parse_layers` and :func:`normalise_layers` give the canonical list (layer names and
argument names resolved, each value checked by its constraint in :mod:`telar.nn.registry`,
defaults left out): JSON- and TOML-able, what a model file stores. :func:`layers_to_text`
writes it back. Every mistake raises a one-line :class:`ConfigError` naming the layer, e.g.
``layer 3 'dropout(1.5)': p: expected a probability in [0, 1), got 1.5``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from telar.errors import ConfigError
from telar.nn.registry import LAYERS, REQUIRED, WORD, lookup, text_of

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
    if pair := _PAIR.fullmatch(text):
        return [int(v) for v in pair.groups()]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if WORD.fullmatch(text):
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
        value = arg.constraint.check(values[arg.name], arg.name)
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
    if not isinstance(layers, list | tuple):
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
        except (ValueError, ConfigError) as exc:
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
                args.append(text_of(value))
            else:
                args.append(f"{arg.name}={text_of(value)}")
        parts.append(entry.name + (f"({','.join(args)})" if args else ""))
    return " ".join(parts)
