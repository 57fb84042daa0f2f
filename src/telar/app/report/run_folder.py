"""Read what a training run left in its folder: config.toml, summary.json, metrics.csv.

A run folder (see ``telar.train.run``) holds ``config.toml`` (``[train]`` table),
``summary.json`` (final figures), ``metrics.csv`` (one row per epoch) and ``model.npz``.
The readers here never train or predict; a missing or broken file is a
:class:`~telar.errors.TelarError` naming the file.
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telar.errors import TelarError

MODEL = "model.npz"
REPORT = "report.html"


@dataclass
class RunFolder:
    """The readable parts of one run folder.

    ``metrics`` maps a column name (``epoch``, ``train_loss``, ``val_accuracy``, ``seconds``…)
    to its values, one per epoch, as floats.
    """

    path: Path
    summary: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, list[float]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model_path(self) -> Path:
        return self.path / MODEL

    @property
    def eval_name(self) -> str:
        """``"val"`` or ``"test"``: the set the per-epoch evaluation columns describe."""
        for name in ("val", "test"):
            if f"{name}_loss" in self.metrics:
                return name
        return str(self.summary.get("eval_set", "test"))

    def train_section(self) -> dict[str, Any]:
        """The ``[train]`` table of config.toml (the whole file if it has no such table)."""
        return dict(self.config.get("train", self.config))


def read_run(path: str | Path, *, need_model: bool = False) -> RunFolder:
    """Read the run folder ``path``; TelarError if it is not one (no summary.json) or a file
    in it cannot be read."""
    folder = Path(path)
    if not folder.is_dir():
        raise TelarError(f"{folder}: not a run folder (no such folder)")
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise TelarError(f"{folder}: not a finished run folder (no summary.json)")
    summary = _read_json(summary_path)
    if need_model and not (folder / MODEL).is_file():
        raise TelarError(f"{folder}: no {MODEL} in this run folder")
    config = _read_toml(folder / "config.toml") if (folder / "config.toml").is_file() else {}
    metrics_path = folder / "metrics.csv"
    metrics = read_metrics(metrics_path) if metrics_path.is_file() else {}
    return RunFolder(folder, summary, config, metrics)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TelarError(f"{path}: cannot read it as JSON ({exc})") from None
    if not isinstance(value, dict):
        raise TelarError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TelarError(f"{path}: cannot read it as TOML ({exc})") from None


def read_metrics(path: Path) -> dict[str, list[float]]:
    """Columns of ``metrics.csv`` as float lists; a cell that is not a number is an error
    naming the line and column."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TelarError(f"{path}: cannot read it ({exc})") from None
    columns: dict[str, list[float]] = {}
    for line, row in enumerate(rows, start=2):
        for key, cell in row.items():
            if key is None:
                raise TelarError(f"{path}, line {line}: more cells than columns")
            try:
                value = float(cell)
            except (TypeError, ValueError):
                raise TelarError(f"{path}, line {line}: column {key!r} holds {cell!r}, "
                                 "not a number") from None
            columns.setdefault(key, []).append(value)
    return columns


def format_value(value: Any) -> str:
    """A summary value as text: floats with 4 significant decimals, lists shortened."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and abs(value) < 0.01:
            return f"{value:.3g}"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, list):
        if len(value) > 6:
            return f"[{len(value)} values]"
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)
