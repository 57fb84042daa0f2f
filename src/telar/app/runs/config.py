"""A run's configuration: presets, validation with one-line messages, and ``config.toml``.

Precedence: a preset's values, then a ``--config`` file's, then the options given on the
command line. Every value is checked up front (scikit-learn style) and a bad one raises
:class:`~telar.errors.ConfigError` naming the option, the value and, for a file, the file.
``config.toml`` holds every field, so ``telar train --config RUN/config.toml`` reruns the run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telar.app.runs.presets import ENGINE_ALIASES, ENGINES, PRESET_ALIASES, PRESETS
from telar.errors import ConfigError
from telar.nn.activation import ACTIVATIONS as ACTIVATION_REGISTRY
from telar.nn.init import INITIALISERS
from telar.optim.registry import OPTIMIZERS as OPTIMIZER_REGISTRY
from telar.optim.registry import SCHEDULE_CHOICES, SCHEDULES

# The choices of each option come from the registries that declare them.
ACTIVATIONS = tuple(ACTIVATION_REGISTRY)
INITS = tuple(INITIALISERS)
OPTIMIZERS = tuple(OPTIMIZER_REGISTRY)


@dataclass
class TrainConfig:
    """Everything a training run depends on. ``0`` / ``""`` mean "off" / "not given"."""

    preset: str = "report"
    engine: str = "handwritten"
    epochs: int = 10
    batch_size: int = 128
    full_batch: bool = False
    lr: float = 1e-3
    seed: int = 0
    hidden: list[int] = field(default_factory=lambda: [64, 32, 16])
    activation: str = "relu"
    init: str = "xavier_report"
    dropout: float = 0.0
    batch_norm: bool = False
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "none"
    warmup: int = 0
    label_smoothing: float = 0.0
    augment: str = "none"
    layers: str = ""  # a layer list (telar.nn.grammar); replaces the dense network
    val_split: float = 0.0
    early_stop: int = 0
    clip_grad: float = 0.0
    data: str = ""
    train_csv: str = ""
    test_csv: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Options a user may set, with the command-line spelling used in messages.
OPTION_NAMES = {f.name: "--" + f.name.replace("_", "-") for f in dataclasses.fields(TrainConfig)}


# --- checking one value -----------------------------------------------------------------------

def _int(text: str) -> int:
    return int(text.strip())


def _float(text: str) -> float:
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a boolean")


def _hidden(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",")]
    if parts == [""]:
        return []
    return [int(p) for p in parts]


def _in(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"expected one of {', '.join(choices)}"


def _renamed(aliases: dict[str, str]) -> Callable[[str], str]:
    """Text -> text with an old name replaced by today's (``seed`` -> ``report``)."""
    return lambda text: aliases.get(text.strip(), text.strip())


def _range(low: float, high: float, *, low_open: bool = False,
           high_open: bool = True) -> Callable[[Any], str | None]:
    def check(v: float) -> str | None:
        ok_low = v > low if low_open else v >= low
        ok_high = v < high if high_open else v <= high
        if ok_low and ok_high:
            return None
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"expected a number in {left}{low:g}, {high:g}{right}"
    return check


def _at_least(low: int) -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"expected an integer >= {low}"


#: Widest hidden layer accepted: a 784 x 65536 float32 layer is already 205 MB.
MAX_WIDTH = 65536


def _hidden_ok(v: list[int]) -> str | None:
    if not v:
        return "expected at least one hidden layer size, e.g. 64,32,16"
    if not all(n >= 1 for n in v):
        return "layer sizes must be positive integers"
    return None if all(n <= MAX_WIDTH for n in v) else f"layer sizes must be at most {MAX_WIDTH}"


def _positive(v: float) -> str | None:
    return None if v > 0 else "expected a positive number"


def _non_negative(v: float) -> str | None:
    return None if v >= 0 else "expected a number >= 0"


# field -> (parse text, Python type(s), check typed value -> message or None)
FIELD_RULES: dict[str, tuple[Callable[[str], Any], Any, Callable[[Any], str | None]]] = {
    "preset": (_renamed(PRESET_ALIASES), str, _in(tuple(PRESETS))),
    "engine": (_renamed(ENGINE_ALIASES), str, _in(ENGINES)),
    "epochs": (_int, int, _at_least(1)),
    "batch_size": (_int, int, _at_least(1)),
    "full_batch": (_bool, bool, lambda v: None),
    "lr": (_float, float, _positive),
    "seed": (_int, int, _at_least(0)),
    "hidden": (_hidden, list, _hidden_ok),
    "activation": (str, str, _in(ACTIVATIONS)),
    "init": (str, str, _in(INITS)),
    "dropout": (_float, float, _range(0, 1)),
    "batch_norm": (_bool, bool, lambda v: None),
    "optimizer": (str, str, _in(OPTIMIZERS)),
    "momentum": (_float, float, _range(0, 1)),
    "weight_decay": (_float, float, _non_negative),
    "schedule": (str, str, _in(SCHEDULE_CHOICES)),
    "warmup": (_int, int, _at_least(0)),
    "label_smoothing": (_float, float, _range(0, 1)),
    "augment": (str, str, lambda v: None),  # checked by AugmentSpec.parse (see coerce)
    "layers": (str, str, lambda v: None),  # checked by telar.nn.grammar (see coerce)
    "val_split": (_float, float, _range(0, 1)),
    "early_stop": (_int, int, _at_least(0)),
    "clip_grad": (_float, float, _non_negative),
    "data": (str, str, lambda v: None),
    "train_csv": (str, str, lambda v: None),
    "test_csv": (str, str, lambda v: None),
}


def _where(name: str, source: str) -> str:
    option = OPTION_NAMES[name]
    return option if source == "command line" else f"{source}: {name} ({option})"


def coerce(name: str, value: Any, source: str = "command line") -> Any:
    """Turn ``value`` (text from the command line, or a TOML value) into the field's type."""
    parse, kind, check = FIELD_RULES[name]
    where = _where(name, source)
    if name == "augment":  # text or a TOML table; the augmentation registry checks it
        from telar.data.augment import AugmentSpec
        return AugmentSpec.parse(value, where=where).to_text()
    if name == "layers":  # text or a TOML list; the layer registry checks it
        return _layers_text(value, where)
    if isinstance(value, str) and (kind is not str or parse is not str):
        try:
            value = parse(value)
        except ValueError:
            raise ConfigError(f"{where}: cannot read {value!r} as "
                              f"{_kind_name(kind)}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is float and isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value}")  # TOML's inf, nan
    if kind is list and isinstance(value, list):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where}: expected a list of integers, got {value!r}")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {_kind_name(kind)}, got {value!r}")
    problem = check(value)
    if problem:
        raise ConfigError(f"{where}: {problem}, got {_show(value)}")
    return value


def _layers_text(value: Any, where: str) -> str:
    """A layer list (text, or a TOML list of tables/strings) -> its canonical text; "" = none.
    Each layer is checked by the layer registry (its shapes when the network is built)."""
    from telar.nn import layers_to_text
    from telar.nn.grammar import normalise_layers
    from telar.nn.layer_net import on_flat_rows

    if isinstance(value, str) and not value.strip():
        return ""
    if not isinstance(value, str | list):
        raise ConfigError(f"{where}: expected a layer list, got {value!r}")
    try:
        on_flat_rows(value)  # every layer's shape checked now, before any data is read
        return layers_to_text(normalise_layers(value))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _kind_name(kind: Any) -> str:
    return {int: "an integer", float: "a number", bool: "true or false",
            list: "a comma-separated list of integers", str: "text"}[kind]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return repr(value) if isinstance(value, str) else str(value)


# --- putting a configuration together ---------------------------------------------------------

# What the hand-written engine can train: the report's kind of network (any optimiser and
# schedule of the registry, since both engines share telar.optim).
HANDWRITTEN_ENGINE_FIXED = {"activation": "relu", "init": "xavier_report", "dropout": 0.0,
                            "batch_norm": False, "label_smoothing": 0.0, "clip_grad": 0.0}


def build_config(cli: Mapping[str, Any], *, config_file: str | Path | None = None) -> TrainConfig:
    """The configuration from a preset, an optional TOML file, and command-line values.

    ``cli`` holds only the options the user gave (text values, or booleans for flags).
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        file_values = read_config_file(config_file)
    source = str(config_file) if config_file is not None else ""
    preset = coerce("preset", cli["preset"]) if "preset" in cli else \
        coerce("preset", file_values.get("preset", "report"), source or "command line")
    values: dict[str, Any] = {**TrainConfig().to_dict(), **PRESETS[preset], "preset": preset}
    for name, value in file_values.items():
        values[name] = coerce(name, value, source)
    for name, value in cli.items():
        values[name] = coerce(name, value)
    config = TrainConfig(**values)
    check_combination(config, explicit=set(cli))
    return config


def check_combination(config: TrainConfig, explicit: set[str]) -> None:
    """Options that are each fine but do not go together (``explicit``: given as options)."""
    if config.engine == "handwritten":
        for name, fixed in HANDWRITTEN_ENGINE_FIXED.items():
            if getattr(config, name) != fixed:
                raise ConfigError(
                    f"--engine handwritten trains only the report's kind of network (ReLU, its "
                    f"Xavier init, no regularisation); it cannot take "
                    f"{OPTION_NAMES[name]} {_show(getattr(config, name))} (use --engine autograd)")
    if config.early_stop and not config.val_split:
        raise ConfigError(f"--early-stop {config.early_stop} needs a validation set: add "
                          "--val-split (e.g. 0.1); stopping on the test set would be cheating")
    schedule = SCHEDULES.get(config.schedule)
    if schedule is not None and schedule.needs_validation and not config.val_split:
        raise ConfigError(f"--schedule {config.schedule} watches the validation loss: add "
                          "--val-split (e.g. 0.1)")
    if config.warmup and not (schedule is not None and schedule.takes_warmup):
        with_warmup = " or ".join(n for n, e in SCHEDULES.items() if e.takes_warmup)
        raise ConfigError(f"--warmup {config.warmup} applies to --schedule {with_warmup} only, "
                          f"not {config.schedule!r}")
    if config.warmup and config.warmup >= config.epochs:
        raise ConfigError(f"--warmup {config.warmup}: must be fewer than --epochs "
                          f"{config.epochs}")
    if "momentum" in explicit and not OPTIMIZER_REGISTRY[config.optimizer].takes_momentum:
        with_momentum = [n for n, e in OPTIMIZER_REGISTRY.items() if e.takes_momentum]
        raise ConfigError(f"--momentum applies to --optimizer {' or '.join(with_momentum)}, "
                          f"not {config.optimizer!r}")
    if config.layers:
        if config.engine != "autograd":
            raise ConfigError("--layers builds its network with the autodiff engine: add "
                              "--engine autograd")
        dense_only = ("hidden", "activation", "init", "dropout", "batch_norm")
        clash = [OPTION_NAMES[n] for n in dense_only if n in explicit]
        if clash:
            raise ConfigError(f"--layers describes the whole network; {', '.join(clash)} "
                              "would be ignored: write it into the layer list instead")
    if config.batch_norm and not config.full_batch and config.batch_size < 2:
        raise ConfigError(f"--batch-norm needs batches of at least 2 images (a batch's variance), "
                          f"not --batch-size {config.batch_size}")
    if config.data and (config.train_csv or config.test_csv):
        raise ConfigError("give either --data DIR or --train-csv/--test-csv, not both")
    if bool(config.train_csv) != bool(config.test_csv):
        raise ConfigError("--train-csv and --test-csv go together: give both")


# --- config.toml ------------------------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: same escapes as JSON
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def config_toml(config: TrainConfig) -> str:
    """``config.toml`` text: a flat ``[train]`` table with every field."""
    lines = ["# telar training run: `telar train --config THIS_FILE` runs it again.", "",
             "[train]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in config.to_dict().items()]
    return "\n".join(lines) + "\n"


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The ``[train]`` table of a TOML file, keys checked; values are checked by ``coerce``."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"--config {path}: is a folder, not a TOML file (a run's settings "
                          f"are in {path}/config.toml)") from None
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--config {path}: not UTF-8 text, so not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    table = document.get("train", document)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [train] must be a table")
    if isinstance(document.get("augment"), dict):  # an [augment] table beside [train]
        table = {**table, "augment": document["augment"]}
    for key in table:
        if key not in OPTION_NAMES:
            raise ConfigError(f"{path}: unknown setting {key!r} in [train]")
    return dict(table)
