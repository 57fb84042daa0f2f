"""Declarative constraints: the one place where the rules for values users give are written.

A constraint checks a value and converts it to its canonical form; :meth:`Constraint.parse`
reads command-line text first. A bad value raises one line, a
:class:`~telar.errors.ConfigError` that says where, what was expected and what came::

    <where>: expected <what>, got <value>          (a value that breaks the rule)
    <where>: cannot read <text> as <kind>          (text that is not even of the right kind)

``where`` names the option (``--dropout``), the file and key (``run/config.toml: dropout
(--dropout)``), the layer (``layer 3 'dropout(1.5)': p``) or the key of a file's metadata.

Constraints are small and compose: :class:`Integer`, :class:`Number` (closed or open ends,
finite), :class:`Probability`, :class:`Boolean`, :class:`OneOf`, :class:`Text`,
:class:`ListOf`, :class:`Pair`, :class:`Shape`, :class:`Optional`, :class:`Either`,
:class:`Table` and :class:`Custom`. The concepts several parts of telar share are named once
below (:data:`DROPOUT`, :data:`LEARNING_RATE`, :data:`WIDTH`, :data:`SEED`, ...), so e.g. the
``--dropout`` option, ``config.toml``, the dense network spec, the ``dropout(p)`` and
``dropout2d(p)`` layers and ``nn.Dropout`` all check a dropout probability with one object.

>>> DROPOUT.check(0.25, "--dropout")
0.25
>>> DROPOUT.parse("1", "--dropout")
Traceback (most recent call last):
telar.errors.ConfigError: --dropout: expected a probability in [0, 1), got 1
>>> ListOf(WIDTH, min_len=1, noun="layer width").parse("64,32", "--hidden")
[64, 32]

A foundation module: it imports only :mod:`telar.errors`, the standard library and NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from telar.errors import ConfigError


class Invalid(Exception):
    """Raised inside :meth:`Constraint.convert`: the value breaks the rule; ``expected`` says
    what would do (:meth:`Constraint.check` turns it into the one-line ConfigError)."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def show(value: Any, limit: int = 60) -> str:
    """A value as a message shows it: ``repr`` (``'abc'``, ``1.0``, ``nan``, ``[64, 0]``),
    NumPy scalars as the Python number, cut after ``limit`` characters."""
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def at(where: str, key: str) -> str:
    """The place of ``key`` inside ``where``: ``at("preprocessing", "scale")`` is
    ``preprocessing.scale``."""
    return f"{where}.{key}" if where else key


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


class Constraint:
    """A rule for one value. Subclasses set :attr:`expected` and :attr:`reads_as` and define
    :meth:`convert` (and :meth:`read` when command-line text needs more than being itself)."""

    #: What a valid value is, as the message says it: ``an integer >= 1``.
    expected: str = "a value"
    #: What command-line text is read as: ``cannot read 'ten' as an integer``.
    reads_as: str = "text"

    def convert(self, value: Any) -> Any:
        """The value in canonical form; :class:`Invalid` when it breaks the rule."""
        return value

    def read(self, text: str) -> Any:
        """Command-line text -> a value for :meth:`convert`; ValueError when it cannot."""
        return text

    def check(self, value: Any, where: str = "") -> Any:
        """``value`` checked and converted; ConfigError ``<where>: expected ..., got ...``."""
        return self._checked(value, where, show(value))

    def parse(self, value: Any, where: str = "") -> Any:
        """Text (from the command line) read, then checked; any other value (a TOML or JSON
        one) checked as it is. A message shows text as the user wrote it (``got 64,0``),
        quoted when it is read as text (``got 'lbfgs'``)."""
        if not isinstance(value, str):
            return self.check(value, where)
        try:
            read = self.read(value)
        except ValueError:
            raise ConfigError(f"{_prefix(where)}cannot read {show(value)} as "
                              f"{self.reads_as}") from None
        return self._checked(read, where, show(read) if isinstance(read, str) else value.strip())

    def _checked(self, value: Any, where: str, shown: str) -> Any:
        try:
            return self.convert(value)
        except Invalid as bad:
            raise ConfigError(f"{_prefix(where)}expected {bad.expected}, got {shown}") from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.expected}>"


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and \
        not isinstance(value, bool | np.bool_)


class Integer(Constraint):
    """An integer with optional bounds, both ends included: ``Integer(1, 65536)`` is
    ``an integer in [1, 65536]``. Booleans are refused; with ``whole_floats`` a float with no
    fractional part (``2.0``) is taken as that integer."""

    reads_as = "an integer"

    def __init__(self, min: int | None = None, max: int | None = None, *,
                 noun: str = "an integer", whole_floats: bool = False) -> None:
        self.min, self.max, self.whole_floats = min, max, whole_floats
        bounds = (f" in [{min}, {max}]" if min is not None and max is not None else
                  f" >= {min}" if min is not None else f" <= {max}" if max is not None else "")
        self.expected = noun + bounds

    def read(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            if not self.whole_floats:
                raise
            return float(text.strip())

    def convert(self, value: Any) -> int:
        if _is_int(value):
            number = int(value)
        elif self.whole_floats and _is_real(value) and float(value).is_integer():
            number = int(value)
        else:
            raise Invalid(self.expected)
        if (self.min is not None and number < self.min) or \
                (self.max is not None and number > self.max):
            raise Invalid(self.expected)
        return number


class Number(Constraint):
    """A real number (returned as a float) in an interval: ``Number(0, 1, high_open=True)`` is
    ``a number in [0, 1)``; ``Number(0, low_open=True)`` is ``a number > 0``. With ``finite``
    (the default) ``inf`` and ``nan`` are refused whatever the interval."""

    reads_as = "a number"

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False, finite: bool = True,
                 noun: str = "a number", unit: str = "") -> None:
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.finite = finite
        if low is not None and high is not None:
            bounds = (f" in {'(' if low_open else '['}{low:g}, {high:g}"
                      f"{')' if high_open else ']'}")
        elif low is not None:
            bounds = f" {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            bounds = f" {'<' if high_open else '<='} {high:g}"
        else:
            bounds = ""
        self.expected = noun + bounds + (f" {unit}" if unit else "")

    def read(self, text: str) -> float:
        return float(text.strip())

    def convert(self, value: Any) -> float:
        if not _is_real(value):
            raise Invalid(self.expected)
        number = float(value)
        if self.finite and not math.isfinite(number):  # outside any interval with two ends
            bounded = self.low is not None and self.high is not None
            raise Invalid(self.expected if bounded else "a finite number")
        if self.low is not None and not (number > self.low if self.low_open
                                         else number >= self.low):
            raise Invalid(self.expected)
        if self.high is not None and not (number < self.high if self.high_open
                                          else number <= self.high):
            raise Invalid(self.expected)
        return number


class Probability(Number):
    """A probability: ``[0, 1]``, or ``[0, 1)`` with ``high_open`` (a dropout probability of
    1 would drop everything)."""

    def __init__(self, *, high_open: bool = False) -> None:
        super().__init__(0, 1, high_open=high_open, noun="a probability")


class Boolean(Constraint):
    """``True`` or ``False``; command-line text ``1/true/yes/on`` or ``0/false/no/off``."""

    expected = "true or false"
    reads_as = "true or false"
    WORDS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}

    def read(self, text: str) -> bool:
        try:
            return self.WORDS[text.strip().lower()]
        except KeyError:
            raise ValueError(text) from None

    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise Invalid(self.expected)
        return bool(value)


class OneOf(Constraint):
    """One of a fixed list of names (a registry's keys); ``aliases`` maps old names to today's
    (``{"seed": "report"}``), so files saved with them still load."""

    def __init__(self, choices: Iterable[str], *, aliases: Mapping[str, str] | None = None
                 ) -> None:
        self.choices = tuple(choices)
        self.aliases = dict(aliases or {})
        self.expected = (f"one of {', '.join(self.choices)}" if len(self.choices) != 1
                         else repr(self.choices[0]))

    def read(self, text: str) -> str:
        return text.strip()

    def convert(self, value: Any) -> str:
        if isinstance(value, str):
            value = self.aliases.get(value, value)
            if value in self.choices:
                return value
        raise Invalid(self.expected)


class Text(Constraint):
    """Any text (a path, a name)."""

    expected = "text"

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(self.expected)
        return value


class ListOf(Constraint):
    """A list whose items each satisfy ``item``, with ``min_len`` to ``max_len`` items; on the
    command line, items separated by commas (``64,32,16``). Returns a list; a bad item is
    reported with the whole list."""

    def __init__(self, item: Constraint, *, min_len: int = 0, max_len: int | None = None,
                 noun: str = "item") -> None:
        self.item, self.min_len, self.max_len = item, min_len, max_len
        count = (f"{min_len} to {max_len} " if max_len is not None and min_len else
                 f"up to {max_len} " if max_len is not None else
                 f"{min_len} or more " if min_len else "")
        self.expected = f"a list of {count}{noun}s, each {item.expected}"
        self.reads_as = f"a comma-separated list of {noun}s"

    def read(self, text: str) -> list[Any]:
        if not text.strip():
            return []
        return [self.item.read(part) for part in text.split(",")]

    def convert(self, value: Any) -> list[Any]:
        if not isinstance(value, list | tuple) or len(value) < self.min_len or \
                (self.max_len is not None and len(value) > self.max_len):
            raise Invalid(self.expected)
        try:
            return [self.item.convert(v) for v in value]
        except Invalid:
            raise Invalid(self.expected) from None


class Shape(ListOf):
    """A per-sample shape: 1 to ``max_dims`` positive integers whose product (the values per
    sample) is at most ``max_values``."""

    def __init__(self, *, max_dims: int, max_values: int) -> None:
        super().__init__(Integer(min=1), min_len=1, max_len=max_dims, noun="dimension")
        self.max_values = max_values
        self.expected += f", at most {max_values} values in all"

    def convert(self, value: Any) -> list[int]:
        shape = super().convert(value)
        if math.prod(shape) > self.max_values:
            raise Invalid(self.expected)
        return shape


class Pair(Constraint):
    """One value or two (height and width, written ``3x5`` in the layer grammar): ``3``,
    ``[3, 3]`` -> ``3``; ``[3, 5]`` -> ``[3, 5]`` (the canonical form: one when both agree)."""

    def __init__(self, item: Constraint) -> None:
        self.item = item
        self.expected = f"{item.expected}, or two of them (HxW)"

    def convert(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise Invalid(self.expected)
            try:
                first, second = self.item.convert(value[0]), self.item.convert(value[1])
            except Invalid:
                raise Invalid(self.expected) from None
            return first if first == second else [first, second]
        try:
            return self.item.convert(value)
        except Invalid:
            raise Invalid(self.expected) from None


class Optional(Constraint):
    """``None`` (meaning "not given": a pooling stride that defaults to the kernel) or a value
    ``inner`` accepts."""

    def __init__(self, inner: Constraint) -> None:
        self.inner = inner
        self.expected = f"{inner.expected}, or none"

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.inner.convert(value)
        except Invalid:
            raise Invalid(self.expected) from None


class Either(Constraint):
    """A value the first of ``options`` that accepts it converts (``'same'`` or a padding)."""

    def __init__(self, *options: Constraint) -> None:
        self.options = options
        self.expected = " or ".join(option.expected for option in options)

    def convert(self, value: Any) -> Any:
        for option in self.options:
            try:
                return option.convert(value)
            except Invalid:
                continue
        raise Invalid(self.expected)


class Table(Constraint):
    """A table (a TOML table, a JSON object, a dict) whose keys each have a constraint.

    Unknown keys are refused (unless ``open``), ``required`` keys must be there, ``defaults``
    fill in the others; each value is checked where ``<where>.<key>`` says. Returns a new dict.
    """

    def __init__(self, fields: Mapping[str, Constraint], *, required: Iterable[str] = (),
                 defaults: Mapping[str, Any] | None = None, open: bool = False) -> None:
        self.fields, self.required = dict(fields), tuple(required)
        self.defaults, self.open = dict(defaults or {}), open
        self.expected = "a table"

    def check(self, value: Any, where: str = "") -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_prefix(where)}expected {self.expected}, got {show(value)}")
        unknown = [key for key in value if key not in self.fields]
        if unknown and not self.open:
            raise ConfigError(f"{_prefix(where)}unknown key{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(map(show, unknown))}; known: "
                              f"{', '.join(self.fields)}")
        missing = [key for key in self.required if key not in value]
        if missing:
            raise ConfigError(f"{_prefix(where)}needs {' and '.join(map(repr, missing))}")
        table = {**self.defaults, **value}
        for key, rule in self.fields.items():
            if key in table:
                table[key] = rule.check(table[key], at(where, key))
        return table

    def parse(self, value: Any, where: str = "") -> dict[str, Any]:
        return self.check(value, where)


class Custom(Constraint):
    """A rule kept by another registry: ``convert(value, where)`` checks the value and raises
    the ConfigError itself (a layer list, an augmentation description)."""

    def __init__(self, convert: Callable[[Any, str], Any], expected: str) -> None:
        self._convert, self.expected = convert, expected

    def check(self, value: Any, where: str = "") -> Any:
        return self._convert(value, where)

    def parse(self, value: Any, where: str = "") -> Any:
        return self.check(value, where)  # the rule reads text itself


# --------------------------------------------------------------------------- shared concepts
#: The widest layer telar builds: a 784 x 65536 float32 layer is already 205 MB.
MAX_WIDTH = 65536
#: The most values one input sample may have (a model file's ``preprocessing.input_shape``).
MAX_INPUT_VALUES = 1 << 24

#: A dropout probability: ``[0, 1)`` (``p = 1`` would drop every value). The ``--dropout``
#: option, config.toml, the dense spec, the ``dropout``/``dropout2d`` layers, ``nn.Dropout``.
DROPOUT = Probability(high_open=True)
#: How often an augmentation is applied: ``[0, 1]``.
PROBABILITY = Probability()
#: The optimiser's step size.
LEARNING_RATE = Number(0, low_open=True)
#: An optimiser's momentum (SGD, RMSprop).
MOMENTUM = Number(0, 1, high_open=True)
#: The weight of a new batch in batch norm's running statistics.
RUNNING_MOMENTUM = Number(0, 1, high_open=True)
#: Batch norm's ``eps`` in ``(x - mean) / sqrt(var + eps)``.
NORM_EPS = Number(0, low_open=True)
#: L2 penalty or decoupled weight decay.
WEIGHT_DECAY = Number(0)
#: Label smoothing ``eps``: targets ``(1 - eps) * onehot + eps / classes``.
LABEL_SMOOTHING = Number(0, 1, high_open=True)
#: The fraction of the training set held out for validation.
VAL_SPLIT = Number(0, 1, high_open=True)
#: The global L2 norm gradients are clipped to (0: off).
CLIP_NORM = Number(0)
#: A random seed (``numpy.random.default_rng`` takes any integer >= 0).
SEED = Integer(min=0)
#: Epochs to train.
EPOCHS = Integer(min=1)
#: Samples per mini-batch.
BATCH_SIZE = Integer(min=1)
#: A number of epochs that may be zero (warm-up, early-stopping patience: 0 is off).
EPOCH_COUNT = Integer(min=0)
#: A layer's width (units of a dense layer, channels of a convolution).
WIDTH = Integer(1, MAX_WIDTH)
#: The values of one input sample (a dense network's input width).
INPUT_WIDTH = Integer(1, MAX_INPUT_VALUES)
#: The number of classes a classifier tells apart.
CLASSES = Integer(2, MAX_WIDTH)
#: A kernel size, stride or dilation.
WINDOW = Integer(min=1)
#: A padding.
PADDING = Integer(min=0)
#: The floating-point types telar computes in.
DTYPE = OneOf(("float32", "float64"))
#: A per-sample input shape: ``[784]``, ``[28, 28]``, ``[1, 28, 28]``.
SHAPE = Shape(max_dims=4, max_values=MAX_INPUT_VALUES)
#: The factor raw pixel values are multiplied by (``1/255``).
SCALE = Number(0, low_open=True)
