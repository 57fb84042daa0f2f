"""Resuming a run: the configuration it was started with, read back from its checkpoint."""

from __future__ import annotations

from pathlib import Path

from telar.app.run_folder import RunFolder
from telar.app.runs.config import OPTION_NAMES, TrainConfig, check_combination, coerce
from telar.errors import ConfigError, ModelFileError
from telar.io.model_file import load_checkpoint


def resume_config(run_dir: Path) -> TrainConfig:
    """The configuration a run was started with, from its checkpoint."""
    folder = RunFolder(run_dir)
    path = folder.checkpoint_path
    if not run_dir.is_dir():
        raise ConfigError(f"--resume {run_dir}: no such folder")
    if not path.exists():
        raise ConfigError(f"--resume {run_dir}: no {folder.CHECKPOINT} in it (the run stopped "
                          f"before its first epoch ended); start it again with `telar train "
                          f"--config {folder.config_path} --out {run_dir}`")
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
