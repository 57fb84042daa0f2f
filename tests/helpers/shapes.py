"""Three garments drawn as bright shapes on black, learnable in seconds, and photos of them.

Trouser (class 1) is a tall thin bar, Sneaker (7) a wide low bar, Bag (8) a large square. The
class is a matter of shape, not position or size, so it survives any sensible preprocessing
(resize, or crop to the object and fit keeping the aspect ratio).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

from telar.data import write_idx

CLASSES = {1: "Trouser", 7: "Sneaker", 8: "Bag"}
#: class -> ((min height, max height), (min width, max width)) in a 28×28 image
SIZES = {1: ((27, 28), (5, 9)), 7: ((5, 9), (27, 28)), 8: ((25, 28), (25, 28))}


def shape_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.choice(sorted(CLASSES), size=n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.float64)
    for i, label in enumerate(labels):
        (h0, h1), (w0, w1) = SIZES[int(label)]
        h, w = rng.integers(h0, h1 + 1), rng.integers(w0, w1 + 1)
        top = (28 - h) // 2 + rng.integers(-1, 2)
        left = (28 - w) // 2 + rng.integers(-1, 2)
        images[i, max(top, 0):top + h, max(left, 0):left + w] = rng.uniform(170, 255)
    images += rng.normal(0, 12, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels


def write_shape_fmnist(folder: Path, n_train: int = 600, n_test: int = 90) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, (x, y) in (("train", shape_images(n_train, 1)), ("t10k", shape_images(n_test, 2))):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", y)
    return folder


def train_shape_run(out: Path, data: Path, *extra: str) -> Path:
    """Train a small model on the shapes into ``out`` (about a second) and return ``out``."""
    from telar.app.cli import main

    old = sys.stdout
    sys.stdout = io.StringIO()  # the run's summary line is not the test's output
    try:
        assert main(["train", "--no-progress", "--data", str(data), "--out", str(out),
                     "--epochs", "3", "--hidden", "32", "--lr", "0.005", "--batch-size", "32",
                     *extra]) == 0
    finally:
        sys.stdout = old
    return out


def photo(label: int, size: int = 280, fmt: str = "PNG", light: bool = True) -> bytes:
    """A "photo" of a garment of class ``label``: a dark shape on a light background
    (as a phone would see a dark object on paper), ``size``×``size`` pixels, colour."""
    from PIL import Image

    (h0, h1), (w0, w1) = SIZES[label]
    h, w = (h0 + h1) / 2 * size / 28, (w0 + w1) / 2 * size / 28
    rgb = np.full((size, size, 3), (235, 232, 225) if light else (0, 0, 0), np.uint8)
    top, left = int((size - h) / 2), int((size - w) / 2)
    rgb[top:top + int(h), left:left + int(w)] = (40, 30, 60) if light else (230, 230, 230)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()
