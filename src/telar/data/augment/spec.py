"""One declarative description of batch augmentation: the registry, ``AugmentSpec``, ``Augmenter``.

The registry :data:`OPS` (name -> :class:`Op`: function, default strength, the constraint a
strength must meet (:mod:`telar.constraints`), help)
is the one list of augmentations; the text and table parsers, the validation messages, the
``--augment`` help and the order of application all come from it. :data:`SETTINGS` holds the
two choices that are not strengths (rotation interpolation, erasing fill).

Text form (``--augment``), items separated by ``,`` (or ``+``, the older spelling)::

    shift=2,flip,rotate=10,erase=0.5,brightness=0.2,contrast=0.2

A bare name takes the default strength, ``none`` (or an empty string) means no augmentation,
a strength of 0 turns an op off. Table form (``config.toml``)::

    [augment]
    shift = 2
    flip = 0.5        # or true: the default strength
    rotate = 10

>>> spec = AugmentSpec.parse("shift=2,flip,rotate=10")
>>> spec.to_text()
'rotate=10,shift=2,flip=0.5'
>>> AugmentSpec.parse(spec.to_dict()) == spec
True
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from telar.constraints import PROBABILITY, Constraint, Custom, Integer, Number, OneOf
from telar.data.augment.geometric import random_flip, random_rotation, random_shift
from telar.data.augment.photometric import random_brightness, random_contrast, random_erasing
from telar.errors import ConfigError

ImageShape = tuple[int, int] | None


class AugmentError(ConfigError, ValueError):
    """A bad augmentation description (a :class:`ConfigError`, and a ``ValueError`` as before)."""


@dataclass(frozen=True)
class Op:
    """One augmentation: ``apply(x, rng, spec, image_shape)``, its default strength, the
    constraint a strength must meet (0 turns the op off) and its help."""

    name: str
    apply: Callable[[np.ndarray, np.random.Generator, AugmentSpec, ImageShape], np.ndarray]
    default: float
    strength: Constraint
    metavar: str
    help: str

    @property
    def requirement(self) -> str:
        """What a valid strength is, e.g. ``an angle in [0, 180] degrees``."""
        return self.strength.expected


@dataclass(frozen=True)
class Setting:
    """A choice that goes with one op (its first choice is the default)."""

    name: str
    choices: tuple[str, ...]
    help: str

    @property
    def default(self) -> str:
        return self.choices[0]

    @property
    def constraint(self) -> OneOf:
        return OneOf(self.choices)


# The registry, in the order the ops are applied: geometry first (rotation before the integer
# shift, so the shift's border stays 0), then grey levels, then erasing (so an erased
# rectangle keeps its fill).
OPS: dict[str, Op] = {op.name: op for op in (
    Op("rotate", lambda x, rng, s, shape: random_rotation(x, rng, s.rotate, s.rotate_mode, shape),
       10.0, Number(0, 180, noun="an angle", unit="degrees"), "DEGREES",
       "rotate by an angle uniform in [-DEGREES, DEGREES]"),
    Op("shift", lambda x, rng, s, shape: random_shift(x, rng, s.shift, shape),
       2, Integer(0, 14, noun="a whole number of pixels", whole_floats=True), "PIXELS",
       "translate by up to PIXELS in each direction (pad and crop)"),
    Op("flip", lambda x, rng, s, shape: random_flip(x, rng, s.flip, shape),
       0.5, PROBABILITY, "P", "mirror left-right with probability P"),
    Op("brightness", lambda x, rng, s, shape: random_brightness(x, rng, s.brightness),
       0.2, Number(0, 1, noun="a factor"), "S",
       "multiply pixels by a factor uniform in [1-S, 1+S], clip to [0, 1]"),
    Op("contrast", lambda x, rng, s, shape: random_contrast(x, rng, s.contrast),
       0.2, Number(0, 1, noun="a factor"), "S",
       "scale pixels about the image mean by [1-S, 1+S], clip to [0, 1]"),
    Op("erase", lambda x, rng, s, shape: random_erasing(x, rng, s.erase, fill=s.erase_fill,
                                                         image_shape=shape),
       0.5, PROBABILITY, "P", "erase a random rectangle with probability P"),
)}
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("rotate_mode", ("bilinear", "nearest"), "rotation interpolation"),
    Setting("erase_fill", ("zero", "noise"), "what fills an erased rectangle"),
)}


@dataclass(frozen=True)
class AugmentSpec:
    """Each augmentation's strength (0: off) and the two settings; validated on creation.

    Build one with :meth:`parse` (text, table or ``None``); :meth:`to_text` and
    :meth:`to_dict` give forms that :meth:`parse` turns back into an equal spec.
    """

    rotate: float = 0.0
    shift: int = 0
    flip: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    erase: float = 0.0
    rotate_mode: str = "bilinear"
    erase_fill: str = "zero"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name,
                               _convert(field.name, getattr(self, field.name), "AugmentSpec"))

    @property
    def active(self) -> tuple[str, ...]:
        """The names of the ops that are on, in the order they are applied."""
        return tuple(name for name in OPS if getattr(self, name) != 0)

    def to_text(self) -> str:
        """The ``--augment`` text for this spec (``none`` when nothing is on)."""
        items = [f"{key}={_number(value) if key in OPS else value}"
                 for key, value in self.to_dict().items()]
        return ",".join(items) or "none"

    def to_dict(self) -> dict[str, Any]:
        """The ops that are on and the settings that differ from their default (a TOML table)."""
        table: dict[str, Any] = {name: getattr(self, name) for name in self.active}
        table.update({name: getattr(self, name) for name, setting in SETTINGS.items()
                      if getattr(self, name) != setting.default})
        return table

    @classmethod
    def parse(cls, value: str | Mapping[str, Any] | AugmentSpec | None,
              where: str = "--augment") -> AugmentSpec:
        """A spec from ``--augment`` text, a config table, another spec or ``None`` (nothing).

        Errors are :class:`AugmentError`, one line starting with ``where``.
        """
        if value is None:
            return cls()
        if isinstance(value, AugmentSpec):
            return value
        if isinstance(value, str):
            return cls.from_text(value, where)
        if isinstance(value, Mapping):
            return cls.from_dict(value, where)
        raise AugmentError(f"{where}: expected text like 'shift=2,flip' or a table, "
                           f"got {type(value).__name__}")

    @classmethod
    def from_text(cls, text: str, where: str = "--augment") -> AugmentSpec:
        """Parse ``name[=strength]`` items separated by ``,`` or ``+``."""
        stripped = text.strip()
        if stripped in ("", "none"):
            return cls()
        values: dict[str, Any] = {}
        for item in re.split(r"[,+]", stripped):
            name, has_value, raw = (part.strip() for part in item.partition("="))
            if not name:
                raise AugmentError(f"{where}: empty item in {text!r}")
            if has_value and not raw:
                raise AugmentError(f"{where}: {name} needs a value after '='")
            values[_known_name(name, values, where)] = raw if has_value else True
        return cls(**{name: _convert(name, raw, where) for name, raw in values.items()})

    @classmethod
    def from_dict(cls, table: Mapping[str, Any], where: str = "[augment]") -> AugmentSpec:
        """Parse a table ``{name: strength | true | false | setting}``."""
        values: dict[str, Any] = {}
        for name, raw in table.items():
            values[_known_name(str(name), values, where)] = raw
        return cls(**{name: _convert(name, raw, where) for name, raw in values.items()})


class Augmenter:
    """``augmenter(x, rng) -> x``: the spec's active ops, in registry order, on one batch.

    ``x`` is ``(n, h*w)``, ``(n, h, w)`` or ``(n, c, h, w)`` floats; the result has its
    shape and dtype. With nothing active, ``x`` itself comes back and ``rng`` is not used.

    >>> augment = Augmenter("shift=2,flip")
    >>> augment(np.zeros((4, 784), np.float32), np.random.default_rng(0)).shape
    (4, 784)
    """

    def __init__(self, spec: AugmentSpec | str | Mapping[str, Any] | None = None,
                 image_shape: ImageShape = None) -> None:
        self.spec = AugmentSpec.parse(spec, where="augment")
        self.image_shape = image_shape
        self.ops = tuple(OPS[name] for name in self.spec.active)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for op in self.ops:
            x = op.apply(x, rng, self.spec, self.image_shape)
        return x

    def __repr__(self) -> str:
        return f"Augmenter({self.spec.to_text()!r})"


def augment_help() -> str:
    """The ``--augment`` help text, from the registry."""
    ops = "; ".join(f"{op.name}[={op.metavar}]: {op.help} (default {_number(op.default)})"
                    for op in OPS.values())
    settings = "; ".join(f"{s.name}={'|'.join(s.choices)}: {s.help}" for s in SETTINGS.values())
    return (f"comma-separated augmentations, applied in this order: {ops}; also {settings}. "
            "A bare name takes its default strength, 0 turns it off, 'none' means no "
            "augmentation. Example: shift=2,flip,rotate=10,erase=0.5")


def _known_name(name: str, seen: Mapping[str, Any], where: str) -> str:
    names = [*OPS, *SETTINGS]
    if name == "none":
        raise AugmentError(f"{where}: 'none' cannot be combined with other augmentations")
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]}?" if close else f"choose from {', '.join(names)}"
        raise AugmentError(f"{where}: unknown augmentation {name!r} ({hint})")
    if name in seen:
        raise AugmentError(f"{where}: {name} is given twice")
    return name


def _convert(name: str, raw: Any, where: str) -> Any:
    """``raw`` (text, number, ``True`` for the default, ``False`` for off) -> the value the
    op's or setting's constraint accepts; AugmentError ``<where>: <name>: expected ...``."""
    try:
        if name in SETTINGS:
            setting = SETTINGS[name]
            if raw is True:
                raise AugmentError(f"{where}: {name} needs a value: "
                                   f"{' or '.join(setting.choices)}")
            return setting.constraint.parse(raw, f"{where}: {name}")
        op = OPS[name]
        if isinstance(raw, bool):
            raw = op.default if raw else 0
        return op.strength.parse(raw, f"{where}: {name}")
    except AugmentError:
        raise
    except ConfigError as exc:
        raise AugmentError(str(exc)) from None


def _number(value: float) -> str:
    """``10.0`` -> ``10``, ``0.25`` -> ``0.25``: short, and exact when parsed back."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


#: ``--augment`` and config.toml's ``augment``: text or a table -> the canonical text.
AUGMENT = Custom(lambda value, where: AugmentSpec.parse(value, where=where).to_text(),
                 "an augmentation description such as 'shift=2,flip'")
