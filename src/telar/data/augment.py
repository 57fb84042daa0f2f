"""Batch augmentation for 28×28 images stored as flat rows: random shifts and mirror flips.

Each function takes a batch ``x`` of shape ``(n, 784)`` (or ``(n, 28, 28)``) and a
``numpy.random.Generator`` and returns a new array of the same shape; the whole batch is done
with array indexing, never a loop over images.

- :func:`random_shift`: move each image by ``(dy, dx)``, each uniform in ``[-k, k]`` pixels,
  filling the uncovered border with 0 (background).
- :func:`random_flip`: mirror each image left-right with probability ``p`` (Fashion-MNIST's
  clothes look the same mirrored; digits would not).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

IMAGE_SHAPE = (28, 28)


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2,
                 image_shape: tuple[int, int] = IMAGE_SHAPE) -> np.ndarray:
    """``out[i, r, c] = x[i, r - dy_i, c - dx_i]`` (0 outside the image), ``|dy|, |dx| <= k``.

    >>> x = np.arange(4, dtype=np.float32).reshape(1, 4)
    >>> random_shift(x, np.random.default_rng(0), 1, (2, 2)).shape
    (1, 4)
    """
    n = x.shape[0]
    h, w = image_shape
    k = int(max_shift)
    padded = np.zeros((n, h + 2 * k, w + 2 * k), dtype=x.dtype)
    padded[:, k:k + h, k:k + w] = x.reshape(n, h, w)
    # Window start s in [0, 2k]: the image moves by k - s.
    top = rng.integers(0, 2 * k + 1, size=n)
    left = rng.integers(0, 2 * k + 1, size=n)
    rows = (top[:, None] + np.arange(h))[:, :, None]
    cols = (left[:, None] + np.arange(w))[:, None, :]
    out = padded[np.arange(n)[:, None, None], rows, cols]
    return out.reshape(x.shape)


def random_flip(x: np.ndarray, rng: np.random.Generator, p: float = 0.5,
                image_shape: tuple[int, int] = IMAGE_SHAPE) -> np.ndarray:
    """Mirror each image left-right with probability ``p``."""
    n = x.shape[0]
    images = x.reshape(n, *image_shape).copy()
    flip = rng.random(n) < p
    images[flip] = images[flip, :, ::-1]
    return images.reshape(x.shape)


def make_augment(name: str) -> Callable[[np.ndarray, np.random.Generator], np.ndarray] | None:
    """``"none"`` -> None; ``"shift"``, ``"flip"``, ``"shift+flip"`` -> a batch function."""
    if name == "none":
        return None
    steps = name.split("+")
    unknown = [s for s in steps if s not in ("shift", "flip")]
    if unknown:
        raise ValueError(f"unknown augmentation {unknown[0]!r}")

    def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for step in steps:
            x = random_shift(x, rng) if step == "shift" else random_flip(x, rng)
        return x

    return augment
