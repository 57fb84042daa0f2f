"""Model files and training checkpoints: two formats of the telar file.

A *model file* (``model.npz``, format ``telar-model``) holds a trained network's arrays and
what rebuilds and feeds it: the architecture (``{"kind": ..., ...}``), the class names and the
preprocessing. :func:`save_model` also writes a readable copy of that metadata beside it
(``model.json``); telar never reads the copy back. A *checkpoint* (``telar-checkpoint``)
holds everything a run needs to continue (:mod:`telar.train.checkpointing` says what).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from telar.constraints import DTYPE, SCALE, SHAPE, Boolean, ListOf, Table, Text
from telar.errors import ConfigError
from telar.io.atomic import atomic_write_text
from telar.io.telar_file import (
    FORMAT_VERSION,
    jsonable,
    load_telar_file,
    refuse,
    save_telar_file,
)

MODEL_FORMAT = "telar-model"
CHECKPOINT_FORMAT = "telar-checkpoint"


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file: the architecture to rebuild, its arrays, and how inputs are prepared.

    ``architecture`` is JSON (e.g. ``{"kind": "mlp", …}``: :mod:`telar.app.architectures`);
    ``arrays`` are the weights by name; ``preprocessing`` says how raw images become inputs
    (``{"input_shape": [28, 28], "scale": 1/255, "flatten": true, "dtype": "float32"}``).
    """

    path: Path
    architecture: dict[str, Any]
    arrays: dict[str, np.ndarray]
    class_names: tuple[str, ...]
    preprocessing: dict[str, Any]
    meta: dict[str, Any]


def save_model(path: str | Path, *, architecture: dict[str, Any], arrays: dict[str, np.ndarray],
               class_names: tuple[str, ...] | list[str], preprocessing: dict[str, Any],
               extra: dict[str, Any] | None = None, sidecar: bool = True) -> None:
    """Write a model file (``.npz`` + embedded JSON) and, if ``sidecar``, a ``.json`` copy."""
    meta = {"architecture": architecture, "class_names": list(class_names),
            "preprocessing": preprocessing, **(extra or {})}
    save_telar_file(path, MODEL_FORMAT, meta, arrays)
    if sidecar:
        readable = {"format": MODEL_FORMAT, "format_version": FORMAT_VERSION,
                    "note": "a readable copy of the metadata inside the .npz; telar ignores it",
                    **jsonable(meta)}
        atomic_write_text(Path(path).with_suffix(".json"), json.dumps(readable, indent=2) + "\n")


def load_model(path: str | Path,
               check: Callable[[Path, dict[str, Any]], None] | None = None) -> ModelFile:
    """Load a model file and check its container (:func:`check_model_meta`); raise
    ModelFileError naming the file and the reason. ``check(path, meta)`` runs after that and
    before any array is read (the architecture held to the arrays the manifest lists)."""
    path = Path(path)

    def check_meta(meta: dict[str, Any]) -> None:
        check_model_meta(path, meta)
        if check is not None:
            check(path, meta)

    meta, arrays = load_telar_file(path, MODEL_FORMAT, check_meta)
    return ModelFile(path, meta["architecture"], arrays, tuple(meta["class_names"]),
                     meta["preprocessing"], meta)


#: The class names: at least one, each text.
CLASS_NAMES = ListOf(Text(), min_len=1, noun="class name")
#: How raw images become inputs; each key optional, others (``formula``) kept as they are.
PREPROCESSING = Table({"input_shape": SHAPE, "scale": SCALE, "dtype": DTYPE,
                       "flatten": Boolean()}, open=True)


def check_model_meta(path: str | Path, meta: dict[str, Any]) -> None:
    """Check a model file's container metadata as it is read (ModelFileError naming the file):

    - ``architecture``: an object (what it describes is checked by the application's
      architecture registry, :mod:`telar.app.architectures`, before anything is built);
    - ``class_names``: :data:`CLASS_NAMES`, a non-empty list of strings;
    - ``preprocessing``: :data:`PREPROCESSING`, ``input_shape`` (:data:`telar.constraints.SHAPE`:
      1-4 positive integers, at most :data:`telar.constraints.MAX_INPUT_VALUES` values),
      ``scale`` a finite positive number, ``dtype`` float32 or float64, ``flatten`` a boolean.
    """
    path = Path(path)
    if not isinstance(meta.get("architecture"), dict):
        raise refuse(path, "corrupt telar metadata (no architecture)")
    try:
        CLASS_NAMES.check(meta.get("class_names"), "class_names")
        PREPROCESSING.check(meta.get("preprocessing"), "preprocessing")
    except ConfigError as exc:
        raise refuse(path, str(exc)) from None


# --- checkpoints ---------------------------------------------------------------------------------

def save_checkpoint(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a training checkpoint (see :mod:`telar.train.checkpointing` for what goes in)."""
    save_telar_file(path, CHECKPOINT_FORMAT, meta, arrays)


def load_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a training checkpoint; raise ModelFileError naming the file and the reason."""
    return load_telar_file(path, CHECKPOINT_FORMAT)
