"""A run's configuration: presets, validation with one-line messages, and ``config.toml``.

Precedence: a preset's values, then a ``--config`` file's, then the options given on the
command line. Every value is checked up front (scikit-learn style) by its field's constraint
(:data:`FIELDS`, from :mod:`telar.constraints`) and a bad one raises
:class:`~telar.errors.ConfigError` naming the option, the value and, for a file, the file:
``run/config.toml: dropout (--dropout): expected a probability in [0, 1), got 1.0``.
``config.toml`` holds every field, so ``telar train --config RUN/config.toml`` reruns the run.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telar.app.runs.presets import ENGINE_ALIASES, ENGINES, PRESET_ALIASES, PRESETS
from telar.constraints import (
    BATCH_SIZE,
    CLIP_NORM,
    DROPOUT,
    EPOCH_COUNT,
    EPOCHS,
    LABEL_SMOOTHING,
    LEARNING_RATE,
    MOMENTUM,
    SEED,
    VAL_SPLIT,
    WEIGHT_DECAY,
    WIDTH,
    Boolean,
    Constraint,
    Custom,
    ListOf,
    OneOf,
    Text,
    show,
)
from telar.data.augment import AUGMENT
from telar.errors import ConfigError
from telar.nn import layers_to_text
from telar.nn.activation import ACTIVATION
from telar.nn.activation import ACTIVATIONS as ACTIVATION_REGISTRY
from telar.nn.init import INIT, INITIALISERS
from telar.nn.layer_net import on_flat_rows
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

def _layers_text(value: Any, where: str) -> str:
    """A layer list (text, or a TOML list of tables/strings) -> its canonical text; "" = none.
    Each layer is checked by the layer registry, and its shape on 28x28 images now, before
    any data is read."""
    if isinstance(value, str) and not value.strip():
        return ""
    if not isinstance(value, str | list):
        raise ConfigError(f"{where}: expected a layer list, got {show(value)}")
    try:
        on_flat_rows(value)
        return layers_to_text(value)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


#: Each field's constraint (telar.constraints): one rule per concept, shared with the dense
#: spec, the layer grammar and the augmentation registry; choices come from the registries.
FIELDS: dict[str, Constraint] = {
    "preset": OneOf(PRESETS, aliases=PRESET_ALIASES),
    "engine": OneOf(ENGINES, aliases=ENGINE_ALIASES),
    "epochs": EPOCHS,
    "batch_size": BATCH_SIZE,
    "full_batch": Boolean(),
    "lr": LEARNING_RATE,
    "seed": SEED,
    "hidden": ListOf(WIDTH, min_len=1, noun="layer width"),
    "activation": ACTIVATION,
    "init": INIT,
    "dropout": DROPOUT,
    "batch_norm": Boolean(),
    "optimizer": OneOf(OPTIMIZERS),
    "momentum": MOMENTUM,
    "weight_decay": WEIGHT_DECAY,
    "schedule": OneOf(SCHEDULE_CHOICES),
    "warmup": EPOCH_COUNT,
    "label_smoothing": LABEL_SMOOTHING,
    "augment": AUGMENT,
    "layers": Custom(_layers_text, "a layer list"),
    "val_split": VAL_SPLIT,
    "early_stop": EPOCH_COUNT,
    "clip_grad": CLIP_NORM,
    "data": Text(),
    "train_csv": Text(),
    "test_csv": Text(),
}


def _where(name: str, source: str) -> str:
    option = OPTION_NAMES[name]
    return option if source == "command line" else f"{source}: {name} ({option})"


def coerce(name: str, value: Any, source: str = "command line") -> Any:
    """``value`` (text from the command line, or a TOML value) checked by the field's
    constraint and converted to the field's type; ConfigError names the option (and file)."""
    return FIELDS[name].parse(value, _where(name, source))


def _show(value: Any) -> str:
    """A valid value as an option is written: ``64,32``, ``0.2``, ``'relu'``."""
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
    values: dict[str, Any] = {**TrainConfig().to_dict(), "preset": preset}
    for name, value in PRESETS[preset].items():  # checked too, and made canonical
        values[name] = coerce(name, value, f"preset {preset}")
    for name, value in file_values.items():
        values[name] = coerce(name, value, source)
    for name, value in cli.items():
        values[name] = coerce(name, value)
    adapt_preset_warmup(values, from_preset=set(PRESETS[preset]) - set(file_values) - set(cli))
    config = TrainConfig(**values)
    check_combination(config, explicit=set(cli))
    return config


def adapt_preset_warmup(values: dict[str, Any], from_preset: set[str]) -> None:
    """A warm-up the user never asked for follows their other choices: a preset's ``warmup``
    is cut to ``epochs - 1`` when they ask for fewer epochs (``--preset cnn --epochs 1`` runs
    without one), and dropped when their ``--schedule`` takes none. A warm-up they gave
    themselves is checked as given (:func:`check_combination`)."""
    if "warmup" not in from_preset or not values.get("warmup"):
        return
    schedule = SCHEDULES.get(values["schedule"])
    if schedule is None or not schedule.takes_warmup:
        values["warmup"] = 0
    else:
        values["warmup"] = min(values["warmup"], max(values["epochs"] - 1, 0))


#: Settings that shape a dense network only: a ``--layers`` network ignores them.
DENSE_ONLY: tuple[str, ...] = ("hidden", "activation", "init", "dropout", "batch_norm")


def network_label(settings: Mapping[str, Any]) -> str:
    """What run lists and reports call a run's network (``settings``: a config's fields):
    its preset's name, or ``"layers"`` when ``--layers`` replaced the preset's network."""
    preset = str(settings.get("preset") or "report")
    preset = PRESET_ALIASES.get(preset, preset)
    layers = settings.get("layers") or ""
    return "layers" if layers and layers != PRESETS.get(preset, {}).get("layers") else preset


def settings_that_apply(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without those its network ignores (a ``--layers`` network's dense-only
    ones), the preset shown as :func:`network_label` says."""
    shown = dict(settings)
    if shown.get("layers"):
        for name in DENSE_ONLY:
            shown.pop(name, None)
        if "preset" in shown:
            shown["preset"] = network_label(settings)
    return shown


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
        clash = [OPTION_NAMES[n] for n in DENSE_ONLY if n in explicit]
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
    """The ``[train]`` table of a TOML file, keys checked; values are checked by :func:`coerce`."""
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
