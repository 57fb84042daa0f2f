"""Pixel-value augmentations: random erasing, brightness and contrast jitter (grey scale).

As in :mod:`telar.data.augment.geometric`, each has a deterministic form taking per-image
parameters (``erase``, ``adjust_brightness``, ``adjust_contrast``) and a random form drawing
them from a ``numpy.random.Generator``. Brightness and contrast follow torchvision's
``ColorJitter`` formulas and clip to ``[0, 1]`` (telar's pixel range).
"""

from __future__ import annotations

import math

import numpy as np

from telar.data.augment.images import as_nchw, check_floating

ERASE_SCALE = (0.02, 0.33)  # torchvision RandomErasing's defaults
ERASE_RATIO = (0.3, 3.3)
ERASE_ATTEMPTS = 10


def erase(x: np.ndarray, top: np.ndarray, left: np.ndarray, height: np.ndarray,
          width: np.ndarray, fill: float | np.ndarray = 0.0,
          image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Set rows ``[top, top+height)`` × columns ``[left, left+width)`` of image ``i`` to ``fill``.

    ``fill`` is a number, or an array with one value per erased pixel (all channels), in
    row-major order of the batch (what :func:`random_erasing` draws for ``fill="noise"``).
    A height or width of 0 leaves the image as it is.

    >>> erase(np.ones((1, 3, 3), np.float32), [1], [0], [1], [2])[0]
    array([[1., 1., 1.],
           [0., 0., 1.],
           [1., 1., 1.]], dtype=float32)
    """
    images = as_nchw(x, image_shape)
    n, c, h, w = images.shape
    top, left, height, width = (np.asarray(a, dtype=np.intp)[:, None]
                                for a in (top, left, height, width))
    rows = (np.arange(h) >= top) & (np.arange(h) < top + height)  # (n, h)
    cols = (np.arange(w) >= left) & (np.arange(w) < left + width)  # (n, w)
    mask = np.broadcast_to((rows[:, :, None] & cols[:, None, :])[:, None], images.shape)
    out = images.copy()
    out[mask] = fill
    return out.reshape(x.shape)


def random_erasing(x: np.ndarray, rng: np.random.Generator, p: float = 0.5,
                   scale: tuple[float, float] = ERASE_SCALE,
                   ratio: tuple[float, float] = ERASE_RATIO, fill: str = "zero",
                   image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """With probability ``p``, erase one rectangle per image (torchvision's ``RandomErasing``).

    For every image, up to 10 tries of: area ``s · h · w`` with ``s ~ U(scale)``, aspect
    ``a = exp(U(log ratio))``, ``eh = round(sqrt(area · a))``, ``ew = round(sqrt(area / a))``;
    the first try with ``eh < h`` and ``ew < w`` wins (none: the image is kept). Its corner is
    uniform over the positions where it fits. ``fill="zero"`` writes 0 (background),
    ``fill="noise"`` uniform noise in ``[0, 1)``.

    Draws, for the whole batch whatever ``p``: ``rng.random(n)`` (apply?), ``(n, 10)`` scales,
    ``(n, 10)`` log-aspects, the tops, the lefts, then the noise values if any.
    """
    if fill not in ("zero", "noise"):
        raise ValueError(f"fill must be 'zero' or 'noise', got {fill!r}")
    images = as_nchw(x, image_shape)
    n, c, h, w = images.shape
    apply = rng.random(n) < p
    area = rng.uniform(scale[0], scale[1], size=(n, ERASE_ATTEMPTS)) * (h * w)
    aspect = np.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1]),
                                size=(n, ERASE_ATTEMPTS)))
    eh = np.rint(np.sqrt(area * aspect)).astype(np.intp)
    ew = np.rint(np.sqrt(area / aspect)).astype(np.intp)
    fits = (eh < h) & (ew < w)
    first = fits.argmax(axis=1)
    use = apply & fits.any(axis=1)
    height = np.where(use, eh[np.arange(n), first], 0)
    width = np.where(use, ew[np.arange(n), first], 0)
    top = rng.integers(0, h - height + 1)
    left = rng.integers(0, w - width + 1)
    value: float | np.ndarray = 0.0
    if fill == "noise":
        count = int((height * width).sum()) * c
        draw_type = np.float32 if images.dtype == np.float32 else np.float64
        value = np.asarray(rng.random(count, dtype=draw_type), dtype=images.dtype)
    return erase(x, top, left, height, width, value, image_shape)


def adjust_brightness(x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``out[i] = clip(f_i · x[i], 0, 1)``: darker for ``f < 1``, brighter for ``f > 1``.

    >>> adjust_brightness(np.array([[0.2, 0.6]], np.float32), np.array([2.0]))
    array([[0.4, 1. ]], dtype=float32)
    """
    check_floating(x)
    f = np.asarray(factors, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    out = x * f
    return np.clip(out, 0, 1, out=out)


def adjust_contrast(x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``out[i] = clip(m_i + f_i · (x[i] - m_i), 0, 1)``, ``m_i`` the mean pixel of image ``i``.

    ``f < 1`` pulls every pixel toward the image's mean grey, ``f > 1`` pushes it away
    (torchvision's ``adjust_contrast`` for one channel: ``f · x + (1 - f) · mean``).

    >>> adjust_contrast(np.array([[0.2, 0.6]], np.float32), np.array([0.5]))
    array([[0.3, 0.5]], dtype=float32)
    """
    check_floating(x)
    shape = (-1,) + (1,) * (x.ndim - 1)
    f = np.asarray(factors, dtype=x.dtype).reshape(shape)
    mean = x.mean(axis=tuple(range(1, x.ndim)), dtype=x.dtype).reshape(shape)
    out = x * f
    out += (1 - f) * mean
    return np.clip(out, 0, 1, out=out)


def jitter_factors(rng: np.random.Generator, n: int, strength: float) -> np.ndarray:
    """``n`` factors uniform in ``[max(0, 1 - s), 1 + s]`` (torchvision's ``ColorJitter``)."""
    return rng.uniform(max(0.0, 1.0 - strength), 1.0 + strength, size=n)


def random_brightness(x: np.ndarray, rng: np.random.Generator,
                      strength: float = 0.2) -> np.ndarray:
    """:func:`adjust_brightness` by factors from :func:`jitter_factors` (one per image)."""
    return adjust_brightness(x, jitter_factors(rng, x.shape[0], strength))


def random_contrast(x: np.ndarray, rng: np.random.Generator,
                    strength: float = 0.2) -> np.ndarray:
    """:func:`adjust_contrast` by factors from :func:`jitter_factors` (one per image)."""
    return adjust_contrast(x, jitter_factors(rng, x.shape[0], strength))
