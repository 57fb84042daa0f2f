"""Model files and training checkpoints: two formats of the telar file.

A *model file* (``model.npz``, format ``telar-model``) holds a trained network's arrays and
what rebuilds and feeds it: the architecture (``{"kind": ..., ...}``), the class names and the
preprocessing. :func:`save_model` also writes a readable copy of that metadata beside it
(``model.json``); telar never reads the copy back. A *checkpoint* (``telar-checkpoint``)
holds everything a run needs to continue (:mod:`telar.train.checkpointing` says what).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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

    ``architecture`` is JSON (e.g. ``{"kind": "mlp", …}`` for ``telar.nn.build_mlp``);
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


def load_model(path: str | Path) -> ModelFile:
    """Load and check a model file; raise ModelFileError naming the file and the reason."""
    path = Path(path)
    meta, arrays = load_telar_file(path, MODEL_FORMAT)
    check_model_meta(path, meta, arrays)
    return ModelFile(path, meta["architecture"], arrays, tuple(meta["class_names"]),
                     meta["preprocessing"], meta)


#: The widest input ``preprocessing.input_shape`` may describe (values per image).
MAX_INPUT_VALUES = 1 << 24
_PREPROCESSING_DTYPES = ("float32", "float64")


def check_model_meta(path: str | Path, meta: dict[str, Any],
                     arrays: dict[str, np.ndarray]) -> None:
    """Check a model file's metadata before anything is built from it (ModelFileError if not).

    - ``class_names``: a non-empty list of strings;
    - ``preprocessing``: an object; ``input_shape`` a list of 1-4 positive integers (at most
      :data:`MAX_INPUT_VALUES` values), ``scale`` a finite positive number, ``dtype`` float32
      or float64, ``flatten`` true or false (each optional);
    - ``architecture``: an object; for a dense network (kind ``mlp``: ``input_size``,
      ``hidden``, ``classes``; kind ``seed``: ``sizes``) the layer widths must be positive
      integers, the input width must be the input shape's size, the output width the number
      of classes, and the weights they imply, ``sum(n_in * n_out)``, must be in the file's
      arrays, so a hand-edited 100,000,000-wide layer is refused before anything is allocated.
    """
    path = Path(path)
    architecture, names, pre = (meta.get(k) for k in ("architecture", "class_names",
                                                       "preprocessing"))
    if not isinstance(architecture, dict):
        raise refuse(path, "corrupt telar metadata (no architecture)")
    if not (isinstance(names, list) and names and all(isinstance(c, str) for c in names)):
        raise refuse(path, "corrupt telar metadata (no class names)")
    if not isinstance(pre, dict):
        raise refuse(path, "corrupt telar metadata (no preprocessing)")
    shape = pre.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and 1 <= len(shape) <= 4
                                  and all(_positive_int(n) for n in shape)
                                  and math.prod(shape) <= MAX_INPUT_VALUES):
        raise refuse(path, f"bad preprocessing.input_shape {_clip(shape)} (a list of 1-4 "
                            f"positive integers, at most {MAX_INPUT_VALUES} values)")
    scale = pre.get("scale")
    if scale is not None and not (isinstance(scale, int | float) and not isinstance(scale, bool)
                                  and math.isfinite(scale) and scale > 0):
        raise refuse(path, f"bad preprocessing.scale {_clip(scale)} (a finite positive number)")
    if pre.get("dtype") is not None and pre.get("dtype") not in _PREPROCESSING_DTYPES:
        raise refuse(path, f"bad preprocessing.dtype {_clip(pre.get('dtype'))} (one of "
                            f"{', '.join(_PREPROCESSING_DTYPES)})")
    if pre.get("flatten") is not None and not isinstance(pre.get("flatten"), bool):
        raise refuse(path, f"bad preprocessing.flatten {_clip(pre.get('flatten'))} "
                            "(true or false)")
    widths = _dense_widths(path, architecture)
    if widths is None:
        return
    if shape is not None and widths[0] is not None and widths[0] != math.prod(shape):
        raise refuse(path, f"the architecture takes {widths[0]} inputs, the preprocessing "
                            f"makes {math.prod(shape)} ({' x '.join(map(str, shape))})")
    if widths[-1] is not None and widths[-1] != len(names):
        raise refuse(path, f"the architecture has {widths[-1]} outputs for "
                            f"{len(names)} class names")
    implied = sum(a * b for a, b in zip(widths, widths[1:], strict=False)
                  if a is not None and b is not None)
    stored = sum(int(a.size) for a in arrays.values())
    if implied > stored:
        raise refuse(path, f"architecture does not fit its weights: layer shapes of widths "
                            f"{_clip(widths)} need {implied} weights, the file holds {stored} "
                            "numbers")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _clip(value: Any, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _dense_widths(path: Path, architecture: dict[str, Any]) -> list[int | None] | None:
    """The layer widths of a dense architecture (``None`` where it leaves one to a default),
    or ``None`` for an architecture of another kind."""
    kind = architecture.get("kind")
    if kind == "seed" or "sizes" in architecture:
        widths: list[Any] = architecture.get("sizes")  # type: ignore[assignment]
        if not isinstance(widths, list) or len(widths) < 2:
            raise refuse(path, f"bad architecture.sizes {_clip(widths)} (a list of layer "
                                "widths, input first)")
    elif kind == "mlp":
        hidden = architecture.get("hidden", [])
        if not isinstance(hidden, list):
            raise refuse(path, f"bad architecture.hidden {_clip(hidden)} (a list of widths)")
        widths = [architecture.get("input_size"), *hidden, architecture.get("classes")]
    else:
        return None
    if not all(w is None or _positive_int(w) for w in widths):
        raise refuse(path, f"bad layer widths {_clip(widths)} in the architecture (positive "
                            "integers)")
    return widths


# --- checkpoints ---------------------------------------------------------------------------------

def save_checkpoint(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a training checkpoint (see :mod:`telar.train.checkpointing` for what goes in)."""
    save_telar_file(path, CHECKPOINT_FORMAT, meta, arrays)


def load_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a training checkpoint; raise ModelFileError naming the file and the reason."""
    return load_telar_file(path, CHECKPOINT_FORMAT)
