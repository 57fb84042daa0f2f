"""The search space of a sweep: one :class:`Param` per ``[space]`` entry of the spec.

Four kinds, written as inline TOML tables::

    lr = { log = [1e-4, 1e-2] }        # a float drawn log-uniformly in [low, high]
    dropout = { float = [0.0, 0.5] }   # a float drawn uniformly (``step = 0.1``: on a grid)
    epochs = { int = [2, 6] }          # an integer in [low, high] (``step = 2``)
    hidden = { choice = ["64,32,16", "128,64"] }   # one of the values

Each becomes an Optuna distribution (:meth:`Param.distribution`); the grid sampler takes
:meth:`Param.grid` (choices, or every integer of an ``int`` range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from telar.constraints import show
from telar.errors import ConfigError

KINDS = ("log", "float", "int", "choice")
#: The most values an ``int`` range may give the grid sampler.
MAX_GRID_RANGE = 1000


@dataclass(frozen=True)
class Param:
    """One searched option: ``kind`` in :data:`KINDS`, a ``[low, high]`` range or ``choices``."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def distribution(self) -> Any:
        """The Optuna distribution this parameter is drawn from."""
        from telar.app.sweep.optional import optuna

        dist = optuna().distributions
        if self.kind == "choice":
            return dist.CategoricalDistribution(list(self.choices))
        if self.kind == "int":
            return dist.IntDistribution(int(self.low), int(self.high), step=int(self.step or 1))
        return dist.FloatDistribution(self.low, self.high, log=self.kind == "log",
                                      step=self.step)

    def candidates(self) -> list[Any]:
        """The values checked before a sweep starts: every choice, or both ends of the range."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return [int(self.low), int(self.high)]
        return [self.low, self.high]

    def grid(self, where: str) -> list[Any]:
        """Every value, for the grid sampler (choices or an ``int`` range)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            values = list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
            if len(values) <= MAX_GRID_RANGE:
                return values
        raise ConfigError(f"{where}: the grid sampler needs a list of values; write "
                          f"{self.name} = {{ choice = [...] }}")

    def toml(self) -> str:
        """The inline table, as the spec writes it."""
        from telar.app.runs.config import _toml_value

        if self.kind == "choice":
            return f"{{ choice = {_toml_value(list(self.choices))} }}"
        low, high = (int(self.low), int(self.high)) if self.kind == "int" else (self.low, self.high)
        step = "" if self.step is None else f", step = {_toml_value(self.step)}"
        return f"{{ {self.kind} = {_toml_value([low, high])}{step} }}"


def parse_param(name: str, value: Any, where: str, *, integer: bool) -> Param:
    """One ``[space]`` entry; ``integer``: the option takes whole numbers. ``where`` (e.g.
    ``sweep.toml: [space] lr``) starts every message."""
    if not isinstance(value, dict) or len(set(value) & set(KINDS)) != 1:
        raise ConfigError(f"{where}: expected a table with one of {', '.join(KINDS)} "
                          f"(e.g. {{ log = [1e-4, 1e-2] }}), got {show(value)}")
    kind = next(k for k in value if k in KINDS)
    extra = sorted(set(value) - {kind, "step"})
    if extra or ("step" in value and kind in ("choice", "log")):
        bad = extra[0] if extra else "step"
        raise ConfigError(f"{where}: unknown key {bad!r} for a {kind} range")
    body = value[kind]
    if kind == "choice":
        if not isinstance(body, list) or not body:
            raise ConfigError(f"{where}: choice needs a non-empty list of values, got "
                              f"{show(body)}")
        return Param(name, kind, choices=tuple(_choice(v, where) for v in body))
    if integer and kind != "int":
        raise ConfigError(f"{where}: {name} takes whole numbers; write {{ int = [low, high] }}")
    if not (isinstance(body, list) and len(body) == 2
            and all(_is_number(v) for v in body)):
        raise ConfigError(f"{where}: {kind} needs [low, high], two numbers, got {show(body)}")
    low, high = float(body[0]), float(body[1])
    if kind == "int" and not all(isinstance(v, int) for v in body):
        raise ConfigError(f"{where}: int needs two integers, got {show(body)}")
    if low > high or (low == high and kind != "int"):
        raise ConfigError(f"{where}: {'empty' if low == high else 'inverted'} range "
                          f"[{show(body[0])}, {show(body[1])}]: low must be below high")
    if kind == "log" and low <= 0:
        raise ConfigError(f"{where}: a log range must be above 0, got low {show(body[0])}")
    step = value.get("step")
    if step is not None:
        if not _is_number(step) or step <= 0 or (kind == "int" and not isinstance(step, int)):
            raise ConfigError(f"{where}: step: expected a number > 0, got {show(step)}")
        step = int(step) if kind == "int" else float(step)
    return Param(name, kind, low, high, step)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def _choice(value: Any, where: str) -> Any:
    """A choice as Optuna stores it (None, bool, int, float or text): a list becomes its
    comma-separated text (``[64, 32]`` -> ``"64,32"``), read back by the option's constraint."""
    if isinstance(value, list) and all(_is_number(v) for v in value):
        return ",".join(str(v) for v in value)
    if isinstance(value, str | int | float | bool):
        return value
    raise ConfigError(f"{where}: a choice must be a number, text or a list of numbers, got "
                      f"{show(value)}")
