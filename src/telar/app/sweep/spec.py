"""A sweep's spec (``SPEC.toml``): what to search, how, and how a trial is scored.

Every key is checked before any trial starts, and a bad one is a one-line
:class:`~telar.errors.ConfigError` naming the file and the key::

    base = "report"              # a preset name, a path to a config.toml, or a table of settings
    trials = 16
    objective = "val_accuracy"   # or "val_loss": on val_split of the training set, never test
    val_split = 0.1
    sampler = "tpe"              # "random", "grid"
    pruner = "median"            # "none"; a trial is pruned on its per-epoch validation score
    seed = 0                     # the sampler's seed
    pruner_startup_trials = 4    # trials finished before the pruner prunes any
    pruner_warmup_epochs = 1     # epochs every trial trains before it may be pruned
    trial_reports = true         # each trial's report.html (false: the best trial's only)
    [fixed]                      # any telar train option, as in config.toml
    epochs = 3
    [space]                      # any telar train option: see telar.app.sweep.space
    lr = { log = [1e-4, 1e-2] }

A trial's configuration is the base, then ``[fixed]``, then the trial's values, then
``val_split`` (:meth:`SweepSpec.trial_config`), checked like ``telar train``'s options:
each value by its option's constraint (:data:`telar.app.runs.config.FIELDS`, so a choice
outside an option's registry is refused) and the whole by
:func:`~telar.app.runs.config.check_combination`.
"""

from __future__ import annotations

import difflib
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telar.app.runs.config import (
    OPTION_NAMES,
    TrainConfig,
    _toml_value,
    build_config,
    check_combination,
    coerce,
    config_toml,
)
from telar.app.runs.presets import PRESET_ALIASES, PRESETS
from telar.app.sweep.space import Param, parse_param
from telar.constraints import VAL_SPLIT, Boolean, Integer, OneOf, show
from telar.errors import ConfigError

OBJECTIVES = {"val_accuracy": "maximize", "val_loss": "minimize"}
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "none")
TOP_KEYS = ("base", "trials", "objective", "val_split", "sampler", "pruner", "seed",
            "pruner_startup_trials", "pruner_warmup_epochs", "trial_reports", "fixed", "space")
#: Options a sweep sets itself (val_split) or that do not make sense to search.
NOT_SEARCHED = ("val_split", "preset", "data", "train_csv", "test_csv")
PATH_OPTIONS = ("data", "train_csv", "test_csv")
#: Above this many corners of the space, each option's values are checked one at a time.
MAX_CORNERS = 256


@dataclass(frozen=True)
class SweepSpec:
    """A checked spec. ``base``: every setting of the base configuration; ``fixed``: the
    ``[fixed]`` settings (canonical values); ``space``: one :class:`Param` per searched option."""

    base: dict[str, Any]
    trials: int = 16
    objective: str = "val_accuracy"
    val_split: float = 0.1
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0
    pruner_startup_trials: int = 4
    pruner_warmup_epochs: int = 1
    trial_reports: bool = True
    fixed: dict[str, Any] = field(default_factory=dict)
    space: tuple[Param, ...] = ()
    source: str = "spec"

    @property
    def direction(self) -> str:
        """``maximize`` (accuracy) or ``minimize`` (loss)."""
        return OBJECTIVES[self.objective]

    def trial_config(self, params: Mapping[str, Any]) -> TrainConfig:
        """The training configuration of a trial drawing ``params`` (name -> value)."""
        values = {**self.base, **self.fixed, "val_split": self.val_split}
        for name, value in params.items():
            values[name] = coerce(name, value, f"{self.source}: [space]")
        config = TrainConfig(**values)
        check_combination(config, explicit={*self.fixed, *(p.name for p in self.space)})
        return config

    def toml(self) -> str:
        """The spec as TOML, its base written out in full: what ``DIR/sweep.toml`` holds."""
        lines = ["# telar sweep: the study in this folder (telar sweep --resume --out DIR "
                 "continues it)", ""]
        lines += [f"{key} = {_toml_value(getattr(self, key))}" for key in TOP_KEYS
                  if key not in ("base", "fixed", "space")]
        lines += ["", "[base]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in self.base.items()]
        lines += ["", "[fixed]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in self.fixed.items()]
        lines += ["", "[space]"]
        lines += [f"{p.name} = {p.toml()}" for p in self.space]
        return "\n".join(lines) + "\n"

    def study_key(self) -> str:
        """What must match for two specs to be the same study: everything but ``trials``."""
        text = "\n".join(line for line in self.toml().splitlines()
                         if not line.startswith("trials ="))
        return json.dumps(text)


def read_spec(path: str | Path) -> SweepSpec:
    """Read and check ``SPEC.toml`` (a ``base`` path is relative to the spec's folder)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sweep spec") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a sweep spec (SPEC.toml)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text, so not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_spec(document, source=str(path), folder=path.parent)


def parse_spec(document: Mapping[str, Any], *, source: str = "spec",
               folder: Path | None = None) -> SweepSpec:
    """Check a spec's keys and values (``document``: the TOML as a dict); see the module
    docstring. ``folder``: where a relative ``base`` path starts (default: here)."""
    for key in document:
        if key not in TOP_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r}{_did_you_mean(key, TOP_KEYS)}")
    objective = document.get("objective", "val_accuracy")
    if isinstance(objective, str) and objective.startswith("test"):
        raise ConfigError(f"{source}: objective {objective!r}: a sweep never scores on the "
                          "test set (choosing by it would overfit the test); use val_accuracy "
                          "or val_loss, measured on val_split of the training set")
    top = {
        "objective": OneOf(tuple(OBJECTIVES)).parse(objective, f"{source}: objective"),
        "trials": _get(document, "trials", 16, Integer(min=1), source),
        "val_split": _get(document, "val_split", 0.1, VAL_SPLIT, source),
        "sampler": _get(document, "sampler", "tpe", OneOf(SAMPLERS), source),
        "pruner": _get(document, "pruner", "median", OneOf(PRUNERS), source),
        "seed": _get(document, "seed", 0, Integer(min=0), source),
        "pruner_startup_trials": _get(document, "pruner_startup_trials", 4, Integer(min=0),
                                      source),
        "pruner_warmup_epochs": _get(document, "pruner_warmup_epochs", 1, Integer(min=0),
                                     source),
        "trial_reports": _get(document, "trial_reports", True, Boolean(), source),
    }
    if top["val_split"] == 0:
        raise ConfigError(f"{source}: val_split: a sweep needs a validation split above 0 "
                          "(e.g. 0.1): its objective is measured there")
    base = _base(document.get("base", "report"), source, folder or Path("."))
    fixed = _fixed(_table(document, "fixed", source), source)
    space = _space(_table(document, "space", source), fixed, base, source)
    spec = SweepSpec(base=base, fixed=fixed, space=space, source=source, **top)
    _check_corners(spec)
    if spec.sampler == "grid":
        for p in space:
            p.grid(f"{source}: [space] {p.name}")
    return spec


def _get(document: Mapping[str, Any], key: str, default: Any, constraint: Any,
         source: str) -> Any:
    return constraint.parse(document.get(key, default), f"{source}: {key}")


def _table(document: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{key}] must be a table, got {show(table)}")
    return dict(table)


def _did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _unknown_option(name: str, where: str) -> ConfigError:
    return ConfigError(f"{where}: unknown option {name!r}: telar train has no "
                       f"--{name.replace('_', '-')}{_did_you_mean(name, OPTION_NAMES)}")


def _absolute_paths(values: dict[str, Any]) -> dict[str, Any]:
    """Data paths made absolute: trials may run elsewhere (a Dask worker's own folder)."""
    return {k: (str(Path(v).resolve()) if k in PATH_OPTIONS and v else v)
            for k, v in values.items()}


def _base(base: Any, source: str, folder: Path) -> dict[str, Any]:
    """Every setting of the base configuration: a preset's, a config.toml's or a table's."""
    where = f"{source}: base"
    if isinstance(base, dict):
        unknown = [k for k in base if k not in OPTION_NAMES]
        if unknown:
            raise _unknown_option(unknown[0], where)
        return _absolute_paths(_checked_base(lambda: _table_config(base, where), where))
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{where}: expected a preset name ({', '.join(PRESETS)}) or the path "
                          f"of a config.toml, got {show(base)}")
    if base in PRESETS or base in PRESET_ALIASES:
        return _checked_base(lambda: build_config({"preset": base}), where)
    path = Path(base) if Path(base).is_absolute() else folder / base
    if not path.exists():
        raise ConfigError(f"{where}: {base!r} is neither a preset ({', '.join(PRESETS)}) nor an "
                          f"existing config.toml ({path})")
    return _absolute_paths(_checked_base(lambda: build_config({}, config_file=path), where))


def _table_config(table: dict[str, Any], where: str) -> TrainConfig:
    """A base given as a table: its preset's values, then the table's (as a config.toml)."""
    preset = coerce("preset", table.get("preset", "report"), where)
    values = {**TrainConfig().to_dict(), "preset": preset}
    for name, value in PRESETS[preset].items():
        values[name] = coerce(name, value, f"preset {preset}")
    for name, value in table.items():
        values[name] = coerce(name, value, where)
    config = TrainConfig(**values)
    check_combination(config, explicit=set())
    return config


def _checked_base(build: Any, where: str) -> dict[str, Any]:
    try:
        return build().to_dict()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _fixed(table: dict[str, Any], source: str) -> dict[str, Any]:
    fixed = {}
    for name, value in table.items():
        where = f"{source}: [fixed]"
        if name not in OPTION_NAMES:
            raise _unknown_option(name, where)
        if name == "val_split":
            raise ConfigError(f"{where} val_split: set val_split at the top of the spec")
        fixed[name] = coerce(name, value, where)
    return _absolute_paths(fixed)


def _space(table: dict[str, Any], fixed: dict[str, Any], base: dict[str, Any],
           source: str) -> tuple[Param, ...]:
    params = []
    for name, value in table.items():
        where = f"{source}: [space] {name}"
        if name not in OPTION_NAMES:
            raise _unknown_option(name, f"{source}: [space]")
        if name in NOT_SEARCHED:
            raise ConfigError(f"{where}: {name} cannot be searched"
                              + (" (set val_split at the top of the spec)"
                                 if name == "val_split" else ""))
        if name in fixed:
            raise ConfigError(f"{where}: {name} is both in [fixed] and in [space]")
        param = parse_param(name, value, where,
                            integer=isinstance(TrainConfig().to_dict()[name], int)
                            and not isinstance(TrainConfig().to_dict()[name], bool))
        for candidate in param.candidates():  # each option's own constraint and registry
            coerce(name, candidate, f"{source}: [space]")
        params.append(param)
    return tuple(params)


def _check_corners(spec: SweepSpec) -> None:
    """Every combination of the params' candidate values (or, for a big space, each value with
    the others at their first) must make a valid configuration: refuse the spec now, not in
    every trial."""
    names = [p.name for p in spec.space]
    values = [p.candidates() for p in spec.space]
    if not names:
        combos: Any = [()]
    elif _product(len(v) for v in values) <= MAX_CORNERS:
        combos = itertools.product(*values)
    else:
        firsts = [v[0] for v in values]
        combos = [tuple(firsts[:i] + [x] + firsts[i + 1:])
                  for i, v in enumerate(values) for x in v]
    for combo in combos:
        try:
            spec.trial_config(dict(zip(names, combo, strict=True)))
        except ConfigError as exc:
            drawn = ", ".join(f"{n} = {show(v)}" for n, v in zip(names, combo, strict=True))
            raise ConfigError(f"{spec.source}: " + (f"[space] with {drawn}: " if drawn else "")
                              + str(exc)) from None


def _product(sizes: Any) -> int:
    total = 1
    for n in sizes:
        total *= n
    return total


def best_toml(spec: SweepSpec, config: TrainConfig, trial: int, value: float) -> str:
    """``best.toml``: the best trial's configuration, for ``telar train --config``."""
    return (f"# The best trial of a telar sweep: trial {trial}, {spec.objective} {value:.6g} on "
            f"val_split {spec.val_split} of the training set.\n"
            "# Train it again with `telar train --config THIS_FILE`; set val_split = 0.0 to "
            "train on the whole training set.\n" + config_toml(config))
