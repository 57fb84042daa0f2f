"""Image operations on arrays, for torchvision's transforms (:mod:`telar.transforms`).

Images are ``(..., C, H, W)`` float arrays with values in ``[0, 1]`` (the transforms convert
``uint8`` and PIL images to and from this form).

- :func:`resize`: bilinear, antialiased when shrinking (PIL's and torchvision's
  ``antialias=True`` filter): output pixel ``i`` at input coordinate ``c = (i + 0.5) s``
  (``s = in / out``) averages input pixels ``j`` with the triangle weights
  ``max(0, 1 - |j + 0.5 - c| / max(s, 1))``, normalised to sum 1; applied to rows, then columns.
- :func:`center_crop`: the middle window, zero-padded where the image is smaller.
- :func:`adjust_brightness`, :func:`adjust_contrast`, :func:`adjust_saturation`: blends
  ``f x + (1 - f) d`` with black, the mean grey level, and the image's own grey version
  (luma ``0.2989 R + 0.587 G + 0.114 B``), clipped to ``[0, 1]``;
  :func:`adjust_hue`: rotates the hue of RGB images by ``h`` turns (through HSV).
"""

from __future__ import annotations

import numpy as np

LUMA = (0.2989, 0.587, 0.114)


def _weights(n_in: int, n_out: int) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix of the antialiased bilinear filter (see the module)."""
    scale = n_in / n_out
    width = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale
    taps = np.arange(n_in) + 0.5
    w = np.clip(1.0 - np.abs(taps[None, :] - centres[:, None]) / width, 0.0, None)
    return w / w.sum(axis=1, keepdims=True)


def resize(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``images`` ``(..., H, W)`` resized to ``size = (h, w)``, bilinear (antialiased)."""
    h, w = images.shape[-2:]
    rows, cols = _weights(h, size[0]), _weights(w, size[1])
    out = np.einsum("ih,...hw,jw->...ij", rows, images.astype(np.float64), cols)
    return out.astype(images.dtype if images.dtype.kind == "f" else np.float64)


def resized_size(h: int, w: int, size: int | tuple[int, ...], max_size: int | None) -> tuple[
        int, int]:
    """torchvision's output size: ``(h, w)`` given as a pair; for one int, the shorter edge
    becomes ``size`` and the longer keeps the aspect ratio (``int(size * long / short)``)."""
    if isinstance(size, int | np.integer) or len(size) == 1:
        target = int(size if isinstance(size, int | np.integer) else size[0])
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = target, int(target * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)
    return int(size[0]), int(size[1])


def center_crop(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The middle ``size`` window of ``(..., H, W)`` (torchvision's rounding), zero-padded
    (centred) where the image is smaller."""
    th, tw = size
    h, w = images.shape[-2:]
    if th > h or tw > w:
        pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
        pad = [(0, 0)] * (images.ndim - 2) + [(pad_h // 2, (pad_h + 1) // 2),
                                               (pad_w // 2, (pad_w + 1) // 2)]
        images = np.pad(images, pad)
        h, w = images.shape[-2:]
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return images[..., top:top + th, left:left + tw]


def grey(images: np.ndarray) -> np.ndarray:
    """The luma of ``(..., C, H, W)`` as ``(..., 1, H, W)`` (an image of 1 channel is its own)."""
    if images.shape[-3] == 1:
        return images
    r, g, b = images[..., 0, :, :], images[..., 1, :, :], images[..., 2, :, :]
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b)[..., None, :, :]


def _blend(images: np.ndarray, other: np.ndarray | float, factor: float) -> np.ndarray:
    return np.clip(factor * images + (1.0 - factor) * other, 0.0, 1.0).astype(images.dtype)


def adjust_brightness(images: np.ndarray, factor: float) -> np.ndarray:
    return _blend(images, 0.0, factor)


def adjust_contrast(images: np.ndarray, factor: float) -> np.ndarray:
    mean = grey(images).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(images, mean, factor)


def adjust_saturation(images: np.ndarray, factor: float) -> np.ndarray:
    if images.shape[-3] == 1:  # a grey image has no saturation to change
        return images
    return _blend(images, grey(images), factor)


def adjust_hue(images: np.ndarray, shift: float) -> np.ndarray:
    """The hue of RGB ``(..., 3, H, W)`` turned by ``shift`` (in ``[-0.5, 0.5]``) of a circle."""
    if images.shape[-3] == 1:
        return images
    r, g, b = (images[..., i, :, :].astype(np.float64) for i in range(3))
    high, low = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    chroma = high - low
    safe = np.where(chroma > 0, chroma, 1.0)
    hue = np.where(high == r, ((g - b) / safe) % 6.0,
                   np.where(high == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)) / 6.0
    hue = np.where(chroma > 0, hue, 0.0)
    hue = (hue + shift) % 1.0
    sat = np.where(high > 0, chroma / np.where(high > 0, high, 1.0), 0.0)
    # back from HSV: the standard six sectors
    i = np.floor(hue * 6.0)
    f = hue * 6.0 - i
    p, q, t = high * (1 - sat), high * (1 - sat * f), high * (1 - sat * (1 - f))
    i = i.astype(np.int64) % 6
    choices_r = [high, q, p, p, t, high]
    choices_g = [t, high, high, q, p, p]
    choices_b = [p, p, t, high, high, q]
    out = np.stack([np.choose(i, choices_r), np.choose(i, choices_g), np.choose(i, choices_b)],
                   axis=-3)
    return out.astype(images.dtype)


__all__ = ["resize", "resized_size", "center_crop", "grey", "adjust_brightness",
           "adjust_contrast", "adjust_saturation", "adjust_hue"]
