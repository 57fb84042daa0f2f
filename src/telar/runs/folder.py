"""A run folder: its file names, a fresh name for a new run, and the configuration to resume.

The folder (``--out DIR``, default ``runs/<time>-<preset>``)::

    config.toml         every setting: `telar train --config DIR/config.toml` runs it again
    metrics.csv         one row per epoch: train and val/test loss and accuracy, lr, seconds
    checkpoint.npz      the latest checkpoint (after every epoch, and on Ctrl-C)
    model.npz           the trained model (weights + JSON metadata); model.json: a readable copy
    summary.json        test accuracy and loss, epochs, seconds, parameters, best epoch, ...
    figures/            loss.png, accuracy.png, confusion_matrix.png
"""

from __future__ import annotations

import time
from pathlib import Path

from telar.checkpoint import load_checkpoint
from telar.errors import ConfigError, ModelFileError
from telar.runs.config import OPTION_NAMES, TrainConfig, check_combination, coerce

CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"


def new_run_dir(config: TrainConfig, base: str | Path = "runs") -> Path:
    """A fresh folder ``runs/YYYYmmdd-HHMMSS-<preset>`` (``-2``, ``-3``… if taken)."""
    stem = Path(base) / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.preset}"
    path, n = stem, 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}")
    return path


def check_out_dir(out: Path) -> None:
    """Refuse to start a new run in a folder that already holds one."""
    if (out / CHECKPOINT).exists() or (out / "config.toml").exists():
        raise ConfigError(f"--out {out}: already holds a run; continue it with "
                          f"`telar train --resume {out}` or choose another folder")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")


def resume_config(run_dir: Path) -> TrainConfig:
    """The configuration a run was started with, from its checkpoint."""
    path = run_dir / CHECKPOINT
    if not run_dir.is_dir():
        raise ConfigError(f"--resume {run_dir}: no such folder")
    if not path.exists():
        raise ConfigError(f"--resume {run_dir}: no {CHECKPOINT} in it (the run stopped before "
                          "its first epoch ended); start it again instead")
    meta, _ = load_checkpoint(path)
    saved = meta.get("config")
    if not isinstance(saved, dict):
        raise ModelFileError(f"{path}: checkpoint holds no configuration")
    unknown = sorted(set(saved) - set(OPTION_NAMES))
    if unknown:
        raise ModelFileError(f"{path}: checkpoint configuration has unknown settings {unknown}")
    # The same checks as a --config file: a hand-edited checkpoint gets no more trust.
    values = {name: coerce(name, value, str(path)) for name, value in saved.items()}
    config = TrainConfig(**{**TrainConfig().to_dict(), **values})
    check_combination(config, explicit=set())
    return config
