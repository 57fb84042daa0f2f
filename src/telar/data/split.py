"""From stored images to training inputs: float conversion and a stratified validation split."""

from __future__ import annotations

import numbers

import numpy as np

from telar.errors import ConfigError


def to_float(images: np.ndarray) -> np.ndarray:
    """Flatten uint8 images to float32 rows in [0, 1]: ``x = images.reshape(N, -1) / 255``.

    This is the report's preprocessing (pixels divided by 255).

    >>> to_float(np.array([[[0, 255], [51, 102]]], dtype=np.uint8))
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float expects uint8 images, got {images.dtype}")
    if images.ndim < 2:
        raise ValueError(f"to_float expects images of shape (N, ...), got {images.shape}")
    out = images.reshape(images.shape[0], -1).astype(np.float32)
    np.divide(out, np.float32(255), out=out)
    return out


def stratified_split(labels: np.ndarray, val_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices into training and validation sets with the same class mix.

    For each class ``c`` with ``n_c`` samples, ``round(val_fraction * n_c)`` of them, chosen
    by a generator seeded with ``seed``, go to validation. Returns ``(train_idx, val_idx)``,
    both sorted int64 arrays that together hold every index exactly once.

    >>> train_idx, val_idx = stratified_split(np.array([0, 0, 1, 1]), 0.5, seed=0)
    >>> len(train_idx), len(val_idx)
    (2, 2)
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) \
            or not 0.0 < float(val_fraction) < 1.0:
        raise ConfigError(f"val_fraction must be a number strictly between 0 and 1, "
                          f"got {val_fraction!r}")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ConfigError(f"labels must be one-dimensional, got shape {labels.shape}")
    rng = np.random.default_rng(seed)
    val_parts = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        n_val = int(round(val_fraction * len(members)))
        val_parts.append(rng.permutation(members)[:n_val])
    val_idx = np.sort(np.concatenate(val_parts)) if val_parts else np.empty(0, np.int64)
    if len(val_idx) == 0 or len(val_idx) == len(labels):
        raise ConfigError(f"val_fraction={val_fraction} leaves an empty "
                          f"{'validation' if len(val_idx) == 0 else 'training'} set "
                          f"for {len(labels)} samples")
    in_val = np.zeros(len(labels), dtype=bool)
    in_val[val_idx] = True
    return np.flatnonzero(~in_val).astype(np.int64), val_idx.astype(np.int64)
