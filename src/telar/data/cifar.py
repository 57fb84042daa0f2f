"""CIFAR-10's python-version archive (``cifar-10-batches-py``), read without unpickling.

The archive's batches are Python pickles (a dict of ``data``, a ``uint8`` array ``(10000,
3072)``, and ``labels``, a list of ints). Unpickling may call any function a file names, so
telar never unpickles: :func:`telar.data.pickled.load_pickled_data` decodes the opcodes and
rebuilds plain values and NumPy arrays itself, refusing any other name before anything else.
The result is then checked for exactly that layout.

Layout: ``<root>/cifar-10-batches-py/data_batch_1`` ... ``data_batch_5``, ``test_batch``, and
``batches.meta`` (the class names). Images are returned ``(N, 32, 32, 3)`` ``uint8``, as
torchvision's ``CIFAR10.data``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from telar.data.pickled import PickledDataError, load_pickled_data
from telar.errors import DataError

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]
#: a batch file larger than this is not CIFAR-10's (each is about 31 MB)
MAX_BATCH_BYTES = 64 * 1024 * 1024


def load_batch(path: Path) -> dict[str, Any]:
    """One pickled batch as a dict with ``str`` keys (:func:`load_pickled_data`: no code runs)."""
    try:
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise DataError(f"{path}: {size} bytes is too large for a CIFAR-10 batch")
        # Python 2 wrote the batches: its str is read as latin-1 text (as torchvision does)
        loaded = load_pickled_data(path.read_bytes())
    except FileNotFoundError:
        raise DataError(f"{path}: missing from the CIFAR-10 archive") from None
    except PickledDataError as exc:
        raise DataError(f"{path}: not a CIFAR-10 batch ({exc})") from None
    if not isinstance(loaded, dict):
        raise DataError(f"{path}: not a CIFAR-10 batch (a {type(loaded).__name__}, not a dict)")
    return {k.decode("latin1") if isinstance(k, bytes) else str(k): v for k, v in loaded.items()}


def read_split(root: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 32, 32, 3)`` ``uint8`` and labels ``(N,)`` int64 of one split."""
    folder = root / FOLDER
    if not folder.is_dir():
        raise DataError(f"CIFAR-10 not found: expected the folder {folder} (the python "
                        "version, cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/"
                        f"cifar.html, extracted into {root})")
    images, labels = [], []
    for name in TRAIN_BATCHES if train else TEST_BATCHES:
        path = folder / name
        batch = load_batch(path)
        data, targets = batch.get("data"), batch.get("labels")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            raise DataError(f"{path}: expected 'data', uint8 images (N, 3072), found "
                            f"{getattr(data, 'dtype', type(data).__name__)} "
                            f"{getattr(data, 'shape', '')}")
        if not isinstance(targets, list) or len(targets) != len(data) or \
                not all(isinstance(t, int) and 0 <= t < 10 for t in targets):
            raise DataError(f"{path}: expected 'labels', {len(data)} ints in 0..9")
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(targets, dtype=np.int64))
    return np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels)


def read_classes(root: Path) -> list[str]:
    """The class names of ``batches.meta`` (CIFAR-10's own, when the file is absent)."""
    path = root / FOLDER / "batches.meta"
    if not path.is_file():
        return list(CLASSES)
    names = load_batch(path).get("label_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"{path}: expected 'label_names', a list of strings")
    return names


__all__ = ["load_batch", "read_split", "read_classes", "CLASSES",
           "FOLDER"]
