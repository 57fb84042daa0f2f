"""A run's folder: the one owner of its file names, and the only reader and writer of them.

A training run (``telar train --out DIR``, default ``runs/<time>-<preset>``)::

    config.toml         every setting: `telar train --config DIR/config.toml` runs it again
    metrics.csv         one row per epoch: train and val/test loss and accuracy, lr, seconds
    checkpoint.npz      the latest checkpoint (after every epoch, and on Ctrl-C)
    model.npz           the trained model (weights + JSON metadata); model.json: a readable copy
    summary.json        test accuracy and loss, epochs, seconds, parameters, best epoch, ...
    figures/            loss.png, accuracy.png, confusion_matrix.png (report/ for the report's)
    report.html         the run report (``telar report``)
    tensorboard/        TensorBoard event files (``telar train --tensorboard``)
    .telar.lock         held while a run writes here

A ``telar reproduce`` folder holds ``reproduce.json``, ``reproduce.md``, ``history.csv``,
``figures/epochNNNN_{loss,accuracy,confusion}.png`` and ``report.html``
(:class:`ReproduceFolder`).

:class:`RunFolder` names every file (its ``*_path`` properties), reads them (``summary``,
``config``, ``metrics``: parsed on first use; a missing or broken file is one
:class:`~telar.errors.TelarError` naming it), writes the run's own records atomically
(``write_config``, ``write_summary``) and claims the folder for a run (:meth:`RunFolder.claim`:
a lock held for the whole run, and a check that starting there loses nothing). The model
file and checkpoint are written by their formats' modules at the paths named here.

Reading is defensive, as a run folder may come from anyone: a file whose link leads out of
the folder is not followed, only regular files are read (a FIFO would block), each file has a
size limit (:data:`MAX_TEXT_BYTES`, :data:`MAX_METRICS_BYTES`), a UTF-8 byte-order mark is
skipped, and JSON or TOML nested too deeply or holding a 5,000-digit number, or a
``[train]`` that is not a table, is one :class:`~telar.errors.TelarError` naming the file.
:meth:`RunFolder.figures_folder` is where figures may be written: never through a link.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import time
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any

from telar.errors import ConfigError, TelarError
from telar.io.atomic import atomic_write_text, remove_stale_parts

#: The most bytes read from summary.json, config.toml or reproduce.json.
MAX_TEXT_BYTES = 4 << 20
#: The most bytes read from metrics.csv (about 200,000 epochs of rows).
MAX_METRICS_BYTES = 16 << 20


class RunFolder:
    """One training run's folder (it need not exist yet)."""

    CONFIG = "config.toml"
    METRICS = "metrics.csv"
    CHECKPOINT = "checkpoint.npz"
    MODEL = "model.npz"
    SUMMARY = "summary.json"
    FIGURES = "figures"
    REPORT = "report.html"
    TENSORBOARD = "tensorboard"
    LOCK = ".telar.lock"
    #: Files that mean "a run has started here".
    MARKERS = (CONFIG, CHECKPOINT, MODEL, SUMMARY, METRICS)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # ------------------------------------------------------------------ names
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / self.CONFIG

    @property
    def metrics_path(self) -> Path:
        return self.path / self.METRICS

    @property
    def checkpoint_path(self) -> Path:
        return self.path / self.CHECKPOINT

    @property
    def model_path(self) -> Path:
        return self.path / self.MODEL

    @property
    def summary_path(self) -> Path:
        return self.path / self.SUMMARY

    @property
    def figures_path(self) -> Path:
        return self.path / self.FIGURES

    @property
    def report_path(self) -> Path:
        return self.path / self.REPORT

    @property
    def tensorboard_path(self) -> Path:
        """``tensorboard/``: the default folder of ``telar train --tensorboard``."""
        return self.path / self.TENSORBOARD

    def figure(self, name: str) -> Path:
        """``figures/NAME.png``: ``loss``, ``accuracy``, ``confusion_matrix``."""
        return self.figures_path / f"{name}.png"

    @property
    def has_model(self) -> bool:
        return self.model_path.is_file()

    @property
    def is_finished(self) -> bool:
        """Whether the run wrote its results (``summary.json``)."""
        return self.summary_path.is_file()

    # ------------------------------------------------------------------ reading
    @classmethod
    def open(cls, path: str | Path, *, need_model: bool = False) -> RunFolder:
        """The finished run at ``path``; TelarError if it is not one (no summary.json), or
        has no model file when ``need_model``."""
        folder = cls(path)
        if not folder.path.is_dir():
            raise TelarError(f"{folder.path}: not a run folder (no such folder)")
        if not folder.is_finished:
            raise TelarError(f"{folder.path}: not a finished run folder (no {cls.SUMMARY})")
        folder.summary  # noqa: B018  (read now: a broken summary is reported here)
        if need_model and not folder.has_model:
            raise TelarError(f"{folder.path}: no {cls.MODEL} in this run folder")
        return folder

    @cached_property
    def summary(self) -> dict[str, Any]:
        """``summary.json``: the final figures."""
        return _read_json(self.summary_path, self.read_text(self.summary_path))

    @cached_property
    def config(self) -> dict[str, Any]:
        """``config.toml`` as a dict (``{}`` when the folder has none)."""
        if not os.path.lexists(self.config_path):
            return {}
        return _read_toml(self.config_path, self.read_text(self.config_path))

    @cached_property
    def metrics(self) -> dict[str, list[float]]:
        """``metrics.csv``'s columns (``epoch``, ``train_loss``, ``val_accuracy``, ``seconds``…)
        as float lists, one value per epoch (``{}`` when the folder has none)."""
        if not os.path.lexists(self.metrics_path):
            return {}
        return parse_metrics(self.metrics_path,
                             self.read_text(self.metrics_path, MAX_METRICS_BYTES))

    def train_section(self) -> dict[str, Any]:
        """The ``[train]`` table of config.toml (the whole file if it has no such table)."""
        section = self.config.get("train", self.config)
        if not isinstance(section, dict):
            raise TelarError(f"{self.config_path}: train: expected a table, got "
                             f"{type(section).__name__}")
        return dict(section)

    def inside(self, path: Path) -> Path:
        """``path`` resolved (links followed), if it lies inside this folder; TelarError when
        a link leads out of it or it does not exist."""
        try:
            resolved = path.resolve(strict=True)
        except FileNotFoundError:
            raise TelarError(f"{path}: no such file") from None
        except (OSError, RuntimeError) as exc:
            raise TelarError(f"{path}: cannot read it ({exc})") from None
        if not resolved.is_relative_to(self.path.resolve()):
            raise TelarError(f"{path}: a link leading out of the run folder (not followed)")
        return resolved

    def read_text(self, path: Path, max_bytes: int = MAX_TEXT_BYTES) -> str:
        """The text of the regular file ``path`` inside this folder (UTF-8, a byte-order mark
        skipped), at most ``max_bytes``; TelarError naming it otherwise."""
        resolved = self.inside(path)
        if not resolved.is_file():  # checked before opening: opening a FIFO would block
            raise TelarError(f"{path}: not a regular file")
        try:
            with open(resolved, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as exc:
            raise TelarError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        if len(data) > max_bytes:
            raise TelarError(f"{path}: larger than the {max_bytes:,} bytes telar reads of it")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TelarError(f"{path}: not UTF-8 text ({exc.reason} at byte "
                             f"{exc.start})") from None

    def figures_folder(self, *parts: str) -> Path:
        """``figures/PARTS…``, created, where figures may be written: TelarError when
        ``figures`` or a part below it is a link or not a folder (a link would carry the
        files out of the run folder)."""
        folder = self.figures_path
        for part in ("", *parts):
            folder = folder / part if part else folder
            if folder.is_symlink():
                raise TelarError(f"{folder}: is a link; telar writes figures only into the "
                                 "run folder itself (remove the link)")
            try:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                raise TelarError(f"{folder}: exists and is not a folder") from None
            except OSError as exc:
                raise TelarError(f"{folder}: cannot create it ({exc.strerror})") from None
        self.inside(folder)
        return folder

    @property
    def eval_name(self) -> str:
        """``"val"`` or ``"test"``: the set the per-epoch evaluation columns describe."""
        for name in ("val", "test"):
            if f"{name}_loss" in self.metrics:
                return name
        return str(self.summary.get("eval_set", "test"))

    # ------------------------------------------------------------------ writing
    def write_config(self, text: str) -> None:
        """``config.toml``, atomically."""
        atomic_write_text(self.config_path, text)

    def write_summary(self, summary: dict[str, Any]) -> None:
        """``summary.json``, atomically (and forget any copy read before)."""
        atomic_write_text(self.summary_path, json.dumps(summary, indent=2) + "\n")
        self.__dict__.pop("summary", None)

    # ------------------------------------------------------------------ claiming
    @classmethod
    def fresh(cls, base: str | Path, name: str) -> RunFolder:
        """Create ``base/name`` (``-2``, ``-3``… if taken) and return it. The folder is created
        with an exclusive ``mkdir``, so two runs started in the same second cannot both get it."""
        stem = Path(base) / name
        try:
            stem.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{stem.parent}: cannot create the folder ({exc.strerror})") \
                from None
        for n in range(1, 10_000):
            path = stem if n == 1 else stem.with_name(f"{stem.name}-{n}")
            try:
                path.mkdir()
                return cls(path)
            except FileExistsError:
                continue
        raise ConfigError(f"{base}: could not find a free run folder name for {stem.name}")

    @classmethod
    def new(cls, base: str | Path, preset: str) -> RunFolder:
        """A fresh folder ``base/YYYYmmdd-HHMMSS-<preset>`` for a new run."""
        return cls.fresh(base, f"{time.strftime('%Y%m%d-%H%M%S')}-{preset}")

    def claim(self, *, resume: bool = False, overwrite: bool = False) -> RunDirLock:
        """Lock this folder for a run and check that starting (or resuming) here loses nothing.

        A new run needs an empty folder, or one left by a run that never finished an epoch (it
        is restarted), or ``overwrite``. Hidden temporary files of killed writers are removed.
        Returns the held lock; release it when the run ends (it is a context manager).
        """
        out = self.path
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {out}: exists and is not a folder")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") \
                from None
        lock = RunDirLock(out / self.LOCK)
        try:
            lock.acquire()
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot write in the folder ({exc.strerror})") \
                from None
        try:
            remove_stale_parts(out)
            if not resume and not overwrite:
                self._check_new_run()
        except BaseException:
            lock.release()
            raise
        return lock

    def _check_new_run(self) -> None:
        out = self.path
        if self.checkpoint_path.exists():
            raise ConfigError(f"--out {out}: already holds a run; continue it with "
                              f"`telar train --resume {out}`, or pass --overwrite to start over")
        started_only = self.config_path.exists() and not self.model_path.exists()
        for entry in sorted(out.iterdir()):
            if entry.name == self.LOCK or entry.is_dir() and not any(entry.iterdir()):
                continue  # our lock, or an empty folder (figures/ of a run killed early)
            if started_only and entry.name in (self.CONFIG, self.METRICS):
                continue  # a run that stopped before its first checkpoint: start it again
            if entry.name in self.MARKERS:
                raise ConfigError(f"--out {out}: already holds a finished run ({entry.name}); "
                                  "choose another folder or pass --overwrite")
            raise ConfigError(f"--out {out}: is not empty ({entry.name} is in the way); choose "
                              "an empty folder or pass --overwrite")


class ReproduceFolder(RunFolder):
    """A ``telar reproduce`` folder: the experiments' record, history and figures."""

    RECORD = "reproduce.json"
    SUMMARY_MD = "reproduce.md"
    HISTORY = "history.csv"
    MARKERS = (RECORD, SUMMARY_MD, HISTORY)

    @property
    def record_path(self) -> Path:
        return self.path / self.RECORD

    @property
    def markdown_path(self) -> Path:
        return self.path / self.SUMMARY_MD

    @property
    def history_path(self) -> Path:
        return self.path / self.HISTORY

    def mark_figure(self, epoch: int, kind: str) -> Path:
        """``figures/epochNNNN_KIND.png`` (``kind``: loss, accuracy, confusion)."""
        return self.figures_path / self.mark_figure_name(epoch, kind)

    @staticmethod
    def mark_figure_name(epoch: int, kind: str) -> str:
        return f"epoch{epoch:04d}_{kind}.png"

    @property
    def is_reproduce_folder(self) -> bool:
        return self.record_path.is_file()

    @cached_property
    def record(self) -> dict[str, Any]:
        """``reproduce.json``: what the experiments measured and the judged claims."""
        return _read_json(self.record_path, self.read_text(self.record_path))


class RunDirLock:
    """An exclusive lock on a run folder, held for the whole run (``fcntl.flock`` on its
    ``.telar.lock``). The kernel drops it when the process ends, killed or not, so a crashed
    run never leaves the folder locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder = path.parent
        self._fd: int | None = None

    def acquire(self) -> None:
        path = self.path
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


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _read_json(path: Path, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:
        raise TelarError(f"{path}: cannot read it as JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, and int()'s limit of 4,300 digits
        raise TelarError(f"{path}: cannot read it as JSON ({_first_line(exc)})") from None
    if not isinstance(value, dict):
        raise TelarError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def _read_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise TelarError(f"{path}: cannot read it as TOML (nested too deeply)") from None
    except ValueError as exc:  # TOMLDecodeError, and int()'s limit of 4,300 digits
        raise TelarError(f"{path}: cannot read it as TOML ({_first_line(exc)})") from None


def read_metrics(path: Path) -> dict[str, list[float]]:
    """Columns of the ``metrics.csv`` at ``path`` (see :func:`parse_metrics`)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_METRICS_BYTES + 1)
    except OSError as exc:
        raise TelarError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_METRICS_BYTES:
        raise TelarError(f"{path}: larger than the {MAX_METRICS_BYTES:,} bytes telar reads")
    try:
        return parse_metrics(path, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise TelarError(f"{path}: not UTF-8 text ({exc.reason})") from None


def parse_metrics(path: Path, text: str) -> dict[str, list[float]]:
    """Columns of ``metrics.csv`` (its ``text``) as float lists; a cell that is not a number
    is an error naming the line and column."""
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
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
