"""The runs folder as the app sees it: which runs there are, their models, and safe paths.

Every path the app reads is resolved (symlinks followed) and must lie inside the resolved runs
folder; anything else is "not found". Loaded models are cached, keyed by the model file's
modification time and size, and each is used under its own lock (a network may reuse buffers
between calls, so two requests never run one model at once).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telar.app.inference import load_predictor
from telar.app.run_folder import RunFolder
from telar.errors import TelarError

MODEL, SUMMARY = RunFolder.MODEL, RunFolder.SUMMARY
MAX_DEPTH = 3


@dataclass(frozen=True)
class RunEntry:
    """A run folder under the runs folder: ``id`` is its path relative to it, POSIX style."""

    id: str
    path: Path
    summary: dict[str, Any]
    has_model: bool
    has_report: bool


class Shelf:
    """The runs under ``root`` and their loaded models."""

    def __init__(self, root: str | Path, on: Any = None) -> None:
        self.root = Path(root).resolve()
        self.on = on  # the device the models run on (None: the CPU)
        self._models: dict[str, tuple[tuple[int, int], Any, threading.Lock]] = {}
        self._load_lock = threading.Lock()

    # ------------------------------------------------------------------ finding runs
    def runs(self) -> list[RunEntry]:
        """Every folder under the root (up to MAX_DEPTH deep, no symlinked folders, no hidden
        ones) that holds summary.json or model.npz, newest model first."""
        found: list[RunEntry] = []
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            here = Path(folder)
            depth = len(here.relative_to(self.root).parts)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < MAX_DEPTH)
            if here == self.root or not ({MODEL, SUMMARY} & set(files)):
                continue
            if self.inside(here) is None:
                continue
            found.append(self._entry(here, files))
        return sorted(found, key=lambda r: (-self._mtime(RunFolder(r.path).model_path), r.id))

    def _entry(self, folder: Path, files: list[str]) -> RunEntry:
        run = RunFolder(folder)
        summary: dict[str, Any] = {}
        if SUMMARY in files:
            try:
                summary = run.summary
            except TelarError:
                summary = {}  # a broken summary.json: listed, without figures
        return RunEntry(folder.relative_to(self.root).as_posix(), folder, summary,
                        MODEL in files and self.inside(run.model_path) is not None,
                        run.report_path.is_file())

    @staticmethod
    def _mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    def run(self, run_id: str) -> RunEntry | None:
        """The run called ``run_id``, or None."""
        return next((r for r in self.runs() if r.id == run_id), None)

    def model_runs(self) -> list[RunEntry]:
        return [r for r in self.runs() if r.has_model]

    # ------------------------------------------------------------------ safe paths
    def inside(self, path: Path) -> Path | None:
        """``path`` resolved, if it lies inside the root; else None."""
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return resolved if resolved.is_relative_to(self.root) else None

    def file(self, relative: str) -> Path | None:
        """The regular file at ``relative`` (a URL path below the root), or None when it is
        absent, not a file, absolute, or leads (through ``..`` or a symlink) outside the root."""
        if not relative or "\x00" in relative or relative.startswith(("/", "\\")):
            return None
        parts = relative.replace("\\", "/").split("/")
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return None
        found = self.inside(self.root.joinpath(*parts))
        return found if found is not None and found.is_file() else None

    # ------------------------------------------------------------------ models
    def predictor(self, run: RunEntry) -> tuple[Any, threading.Lock]:
        """``(predictor, its lock)`` for ``run``'s model.npz, loaded once per file version."""
        path = RunFolder(run.path).model_path
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._load_lock:
            cached = self._models.get(run.id)
            if cached is None or cached[0] != key:
                cached = (key, load_predictor(path, self.on), threading.Lock())
                self._models[run.id] = cached
        return cached[1], cached[2]
