"""The user cache: ``$XDG_CACHE_HOME/telar`` (default ``~/.cache/telar``).

It holds two things:

* ``fashion-mnist/``: the downloaded ``.gz`` IDX files (a place the finder looks);
* ``arrays/<key>/``: the parsed arrays of a source as ``uint8`` ``.npy`` files plus a
  ``meta.json``, so a source is parsed once. ``key`` hashes the source files' paths, sizes
  and modification times: change a file and its entry no longer matches (and is replaced).

``.npy`` files are written atomically and read with ``allow_pickle=False``. A cache that
cannot be read or written is never fatal: the data is parsed from its source instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from telar.data.files import reading
from telar.io.atomic import atomic_write, atomic_write_text

ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")
CACHE_FORMAT = 2  # 2: keys hash file contents (1 hashed path, size and mtime)


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/telar``, or ``~/.cache/telar`` when the variable is unset or empty."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "telar"


def source_key(kind: str, files: Sequence[Path]) -> tuple[str, list[list]]:
    """A short key for the contents of ``files``, and a stamp (path, size, digest) of each.

    ``key = sha256(json([CACHE_FORMAT, kind, [sha256(bytes of file) ...]]))[:20]``
    """
    stamp = []
    for path in files:
        with reading(path, "a data file"), open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
            size = os.fstat(f.fileno()).st_size
        stamp.append([str(path.resolve()), size, digest])
    blob = json.dumps([CACHE_FORMAT, kind, [entry[2] for entry in stamp]]).encode()
    return hashlib.sha256(blob).hexdigest()[:20], stamp


def load_arrays(root: Path, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
    """The cached arrays and metadata for ``key``, or ``None`` when absent or unreadable."""
    folder = root / "arrays" / key
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        arrays = {name: np.load(folder / f"{name}.npy", allow_pickle=False)
                  for name in ARRAY_NAMES}
    except (OSError, ValueError, EOFError):
        return None
    if any(a.dtype != np.uint8 for a in arrays.values()) or meta.get("key") != key:
        return None
    return arrays, meta


def save_arrays(root: Path, key: str, arrays: Mapping[str, np.ndarray], meta: dict) -> None:
    """Store ``arrays`` under ``key`` and drop older entries of the same source files."""
    folder = root / "arrays" / key
    try:
        for name in ARRAY_NAMES:
            with atomic_write(folder / f"{name}.npy", "wb") as f:
                np.save(f, np.ascontiguousarray(arrays[name]), allow_pickle=False)
        # meta.json last: an entry without it is incomplete and never loaded.
        atomic_write_text(folder / "meta.json", json.dumps({**meta, "key": key}, indent=1))
        _drop_stale_entries(root, key, meta.get("files", []))
    except OSError as exc:
        warnings.warn(f"could not write the data cache in {folder}: {exc}", stacklevel=3)


def _drop_stale_entries(root: Path, key: str, stamp: list[list]) -> None:
    paths = {entry[0] for entry in stamp}
    for other in (root / "arrays").iterdir():
        if other.name == key:
            continue
        try:
            other_meta = json.loads((other / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if {entry[0] for entry in other_meta.get("files", [])} == paths:
            shutil.rmtree(other, ignore_errors=True)
