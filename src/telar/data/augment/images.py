"""Batches of images in any of telar's layouts, seen as ``(n, c, h, w)``; gathers that move pixels.

Every augmentation accepts flat rows ``(n, h*w)`` (square images unless ``image_shape`` says
otherwise; Fashion-MNIST's ``(n, 784)`` is 28×28), ``(n, h, w)`` or NCHW ``(n, c, h, w)``, and
returns the same shape and floating dtype. Internally each works on the 4-D view that
:func:`as_nchw` gives (no copy for a contiguous batch); geometric ops move pixels with one
gather of source coordinates for the whole batch, reading 0 (background) outside the image.
"""

from __future__ import annotations

import math

import numpy as np


def check_floating(x: np.ndarray) -> None:
    """Refuse integer images: augmentations compute in, and return, the input's float dtype."""
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"augmentation expects floating-point images, got {x.dtype}")


def as_nchw(x: np.ndarray, image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """``x`` as ``(n, c, h, w)`` (a view where possible).

    >>> as_nchw(np.zeros((2, 784), np.float32)).shape
    (2, 1, 28, 28)
    >>> as_nchw(np.zeros((2, 6), np.float32), (2, 3)).shape
    (2, 1, 2, 3)
    """
    check_floating(x)
    if x.ndim == 2:
        n, d = x.shape
        if image_shape is None:
            side = math.isqrt(d)
            if side * side != d:
                raise ValueError(f"rows of {d} pixels are not square images; pass image_shape")
            image_shape = (side, side)
        if image_shape[0] * image_shape[1] != d:
            raise ValueError(f"image_shape {image_shape} does not match rows of {d} pixels")
        return x.reshape(n, 1, *image_shape)
    if x.ndim == 3:
        return x.reshape(x.shape[0], 1, *x.shape[1:])
    if x.ndim == 4:
        return x
    raise ValueError(f"augmentation expects (n, h*w), (n, h, w) or (n, c, h, w), got {x.shape}")


def pad_border(images: np.ndarray) -> np.ndarray:
    """``images`` ``(n, c, h, w)`` with one zero pixel added on every side, for :func:`take`."""
    n, c, h, w = images.shape
    padded = np.zeros((n, c, h + 2, w + 2), dtype=images.dtype)
    padded[:, :, 1:-1, 1:-1] = images
    return padded


def take(padded: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``out[i, ch, r, c] = image[i, ch, rows[i, r, c], cols[i, r, c]]``, 0 where out of range.

    ``padded`` comes from :func:`pad_border`; ``rows`` and ``cols`` are integer source
    coordinates of shape ``(n, h, w)`` (any integers: those outside ``[0, h) × [0, w)`` are
    clipped into the zero border). One ``take`` on flat indices does the whole batch and
    every channel.
    """
    n, c, hp, wp = padded.shape
    r = np.clip(rows, -1, hp - 2) + 1
    q = np.clip(cols, -1, wp - 2) + 1
    flat = (np.arange(n)[:, None, None] * (c * hp) + r) * wp + q  # channel 0
    if c > 1:
        flat = flat[:, None] + (np.arange(c) * (hp * wp))[None, :, None, None]
    else:
        flat = flat[:, None]
    return np.take(padded.reshape(-1), flat)
