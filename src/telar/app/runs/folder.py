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

import os
import time
from pathlib import Path

from telar.app.runs.config import OPTION_NAMES, TrainConfig, check_combination, coerce
from telar.errors import ConfigError, ModelFileError
from telar.io.atomic import remove_stale_parts
from telar.io.model_file import load_checkpoint

CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"


#: Files of a run folder that mean "a run has started here".
RUN_MARKERS = ("config.toml", CHECKPOINT, MODEL, "summary.json", "metrics.csv")
LOCK = ".telar.lock"


def new_run_dir(config: TrainConfig, base: str | Path = "runs") -> Path:
    """Create and return a fresh folder ``runs/YYYYmmdd-HHMMSS-<preset>``."""
    return fresh_dir(base, f"{time.strftime('%Y%m%d-%H%M%S')}-{config.preset}")


def fresh_dir(base: str | Path, name: str) -> Path:
    """Create and return ``base/name`` (``-2``, ``-3``… if taken). The folder is created here
    with an exclusive ``mkdir``, so two runs started in the same second cannot both get it."""
    stem = Path(base) / name
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{stem.parent}: cannot create the folder ({exc.strerror})") from None
    for n in range(1, 10_000):
        path = stem if n == 1 else stem.with_name(f"{stem.name}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise ConfigError(f"{base}: could not find a free run folder name for {stem.name}")


class RunDirLock:
    """An exclusive lock on a run folder, held for the whole run (``fcntl.flock`` on
    ``DIR/.telar.lock``). The kernel drops it when the process ends, killed or not, so a
    crashed run never leaves the folder locked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        path = self.folder / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ConfigError(f"{self.folder}: another telar run (pid {holder}) is using this "
                              "folder; wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays, harmless
            self._fd = None

    def __enter__(self) -> RunDirLock:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim_run_dir(out: Path, *, resume: bool = False, overwrite: bool = False) -> RunDirLock:
    """Lock ``out`` for this run and check that starting (or resuming) there loses nothing.

    A new run needs an empty folder, or one left by a run that never finished an epoch (it
    is restarted), or ``overwrite``. Hidden temporary files of killed writers are removed.
    Returns the held lock; release it when the run ends.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    lock = RunDirLock(out)
    try:
        lock.acquire()
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write in the folder ({exc.strerror})") from None
    try:
        remove_stale_parts(out)
        if not resume and not overwrite:
            _check_new_run_dir(out)
    except BaseException:
        lock.release()
        raise
    return lock


def _check_new_run_dir(out: Path) -> None:
    if (out / CHECKPOINT).exists():
        raise ConfigError(f"--out {out}: already holds a run; continue it with "
                          f"`telar train --resume {out}`, or pass --overwrite to start over")
    started_only = (out / "config.toml").exists() and not (out / MODEL).exists()
    for entry in sorted(out.iterdir()):
        if entry.name == LOCK or entry.is_dir() and not any(entry.iterdir()):
            continue  # our lock, or an empty folder (figures/ of a run killed early)
        if started_only and entry.name in ("config.toml", "metrics.csv"):
            continue  # a run that stopped before its first checkpoint: start it again
        if entry.name in RUN_MARKERS:
            raise ConfigError(f"--out {out}: already holds a finished run ({entry.name}); "
                              "choose another folder or pass --overwrite")
        raise ConfigError(f"--out {out}: is not empty ({entry.name} is in the way); choose an "
                          "empty folder or pass --overwrite")


def resume_config(run_dir: Path) -> TrainConfig:
    """The configuration a run was started with, from its checkpoint."""
    path = run_dir / CHECKPOINT
    if not run_dir.is_dir():
        raise ConfigError(f"--resume {run_dir}: no such folder")
    if not path.exists():
        raise ConfigError(f"--resume {run_dir}: no {CHECKPOINT} in it (the run stopped before "
                          f"its first epoch ended); start it again with `telar train --config "
                          f"{run_dir}/config.toml --out {run_dir}`")
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
