"""Geometric augmentations: translation (pad-and-crop), horizontal flip, rotation.

Each comes twice: a deterministic form that takes the per-image parameters (``translate``,
``hflip``, ``rotate``: exact, easy to test, easy to wrap) and a random form that draws them
from a ``numpy.random.Generator`` and calls it (``random_shift``, ``random_flip``,
``random_rotation``). Shapes: see :mod:`telar.data.augment.images`; uncovered pixels are 0.
"""

from __future__ import annotations

import numpy as np

from telar.data.augment.images import as_nchw, pad_border, take


def translate(x: np.ndarray, dy: np.ndarray, dx: np.ndarray,
              image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Move image ``i`` down by ``dy[i]`` and right by ``dx[i]`` whole pixels, 0-filled.

    ``out[i, r, c] = x[i, r - dy[i], c - dx[i]]`` (0 where that is outside the image): the
    same as padding by ``k = max |d|`` and cropping the window at ``(k - dy, k - dx)``.

    >>> translate(np.eye(3, dtype=np.float32)[None], np.array([1]), np.array([0]))[0]
    array([[0., 0., 0.],
           [1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    images = as_nchw(x, image_shape)
    n, c, h, w = images.shape
    dy = np.asarray(dy, dtype=np.intp)
    dx = np.asarray(dx, dtype=np.intp)
    k = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    if k == 0:
        return x.copy()
    padded = np.zeros((n, c, h + 2 * k, w + 2 * k), dtype=images.dtype)
    padded[:, :, k:k + h, k:k + w] = images
    windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(2, 3))
    # windows[i, ch, top, left] is the h×w crop starting at (top, left): advanced indices
    # on axes 0, 2, 3 around the channel slice put the batch axis first, (n, c, h, w).
    out = windows[np.arange(n), :, k - dy, k - dx]
    return out.reshape(x.shape)


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2,
                 image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Translate each image by ``(dy, dx)``, each uniform on the integers of ``[-k, k]``.

    Draws ``top = rng.integers(0, 2k + 1, n)`` then ``left`` the same way; ``dy = k - top``,
    ``dx = k - left`` (pad by ``k``, crop at ``(top, left)``: torchvision's
    ``RandomCrop(size, padding=k)``).

    >>> x = np.arange(4, dtype=np.float32).reshape(1, 4)
    >>> random_shift(x, np.random.default_rng(0), 1, (2, 2)).shape
    (1, 4)
    """
    n = x.shape[0]
    k = int(max_shift)
    top = rng.integers(0, 2 * k + 1, size=n)
    left = rng.integers(0, 2 * k + 1, size=n)
    return translate(x, k - top, k - left, image_shape)


def hflip(x: np.ndarray, which: np.ndarray,
          image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Mirror left-right the images where ``which[i]`` is true: ``out[i] = x[i, :, ::-1]``."""
    images = as_nchw(x, image_shape)
    which = np.asarray(which, dtype=bool)[:, None, None, None]
    return np.where(which, images[..., ::-1], images).reshape(x.shape)


def random_flip(x: np.ndarray, rng: np.random.Generator, p: float = 0.5,
                image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Mirror each image left-right with probability ``p`` (draws ``rng.random(n) < p``).

    Fashion-MNIST's clothes look the same mirrored; digits would not.
    """
    return hflip(x, rng.random(x.shape[0]) < p, image_shape)


def rotate(x: np.ndarray, angles: np.ndarray, interpolation: str = "bilinear",
           image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Rotate image ``i`` by ``angles[i]`` degrees counter-clockwise about its centre, 0-filled.

    Inverse mapping: with ``(y, x)`` measured from the centre ``((h-1)/2, (w-1)/2)`` (``y``
    down), output pixel ``(y, x)`` reads the source at
    ``x_s = cos θ · x - sin θ · y``, ``y_s = sin θ · x + cos θ · y``, by ``"nearest"``
    (rounded coordinates) or ``"bilinear"`` interpolation (the four neighbours weighted by
    ``(1 - fy)(1 - fx)``, ``(1 - fy) fx``, ``fy (1 - fx)``, ``fy fx``). 90° on a square
    image is ``np.rot90``; the sign convention is torchvision's.
    """
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    images = as_nchw(x, image_shape)
    n, c, h, w = images.shape
    theta = np.deg2rad(np.asarray(angles, dtype=np.float64))
    cos = np.cos(theta).astype(np.float32)[:, None, None]
    sin = np.sin(theta).astype(np.float32)[:, None, None]
    cy, cx = np.float32((h - 1) / 2), np.float32((w - 1) / 2)
    y = (np.arange(h, dtype=np.float32) - cy)[None, :, None]
    xs = (np.arange(w, dtype=np.float32) - cx)[None, None, :]
    src_x = cos * xs - sin * y + cx
    src_y = sin * xs + cos * y + cy
    if interpolation == "nearest":
        out = take(pad_border(images), np.rint(src_y).astype(np.intp),
                   np.rint(src_x).astype(np.intp))
        return out.reshape(x.shape)
    # Bilinear: clip the coordinates into [-1, h] × [-1, w] (outside reads the zero border
    # with weight 1), then the four neighbours sit at flat offsets 0, 1, wp, wp + 1 of one
    # index into the image padded by 1 before and 2 after.
    np.clip(src_y, -1, h, out=src_y)
    np.clip(src_x, -1, w, out=src_x)
    r0 = np.floor(src_y)
    c0 = np.floor(src_x)
    fy = (src_y - r0).astype(images.dtype, copy=False)[:, None]
    fx = (src_x - c0).astype(images.dtype, copy=False)[:, None]
    hp, wp = h + 3, w + 3
    padded = np.zeros((n, c, hp, wp), dtype=images.dtype)
    padded[:, :, 1:h + 1, 1:w + 1] = images
    flat = ((np.arange(n)[:, None, None] * (c * hp) + r0.astype(np.intp) + 1) * wp
            + c0.astype(np.intp) + 1)[:, None]
    if c > 1:
        flat = flat + (np.arange(c) * (hp * wp))[None, :, None, None]
    values = padded.reshape(-1)
    top = np.take(values, flat)
    top += (np.take(values, flat + 1) - top) * fx
    bottom = np.take(values, flat + wp)
    bottom += (np.take(values, flat + wp + 1) - bottom) * fx
    bottom -= top
    bottom *= fy
    top += bottom
    return top.reshape(x.shape)


def random_rotation(x: np.ndarray, rng: np.random.Generator, degrees: float = 10.0,
                    interpolation: str = "bilinear",
                    image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Rotate each image by an angle uniform in ``[-degrees, degrees]``
    (draws ``rng.uniform(-degrees, degrees, n)``); see :func:`rotate`."""
    angles = rng.uniform(-degrees, degrees, size=x.shape[0])
    return rotate(x, angles, interpolation, image_shape)
