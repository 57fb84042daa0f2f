"""torchvision's ``utils.make_grid`` and ``utils.save_image``: ``telar.utils.make_grid``.

:func:`make_grid` lays a batch ``(B, C, H, W)`` out as one image: rows of ``nrow`` images with
``padding`` pixels of ``pad_value`` around each, as torchvision does (1-channel images become
3 identical channels; ``normalize`` maps ``value_range``, or the batch's own min..max, to
[0, 1]). :func:`save_image` writes that grid as a PNG (or ``format``) with PIL, atomically:
``uint8(clamp(255 x + 0.5, 0, 255))``.

>>> import telar
>>> telar.utils.make_grid(telar.zeros(10, 1, 28, 28)).shape
telar.Size([3, 62, 242])
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from telar.engine import Tensor
from telar.io.atomic import atomic_write


def _batch(tensor: Any) -> np.ndarray:
    if isinstance(tensor, list | tuple):
        tensor = np.stack([t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensor])
    values = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if values.ndim == 2:
        values = values[None]
    if values.ndim == 3:
        values = np.concatenate([values] * 3) if values.shape[0] == 1 else values
        values = values[None]
    if values.ndim != 4:
        raise ValueError(f"make_grid expects images (B, C, H, W), (C, H, W) or (H, W), got "
                         f"shape {values.shape}")
    if values.shape[1] == 1:
        values = np.concatenate([values] * 3, axis=1)
    return values


def _normalised(values: np.ndarray, value_range: Sequence[float] | None) -> np.ndarray:
    values = values.astype(np.float32 if values.dtype.kind != "f" else values.dtype)
    low, high = (float(values.min()), float(values.max())) if value_range is None else \
        (float(value_range[0]), float(value_range[1]))
    return (np.clip(values, low, high) - low) / max(high - low, 1e-5)


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: Sequence[float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """The images of ``tensor`` in a grid of ``nrow`` per row, a ``(3, H', W')`` tensor with
    ``H' = rows (H + padding) + padding`` and ``W' = min(nrow, B) (W + padding) + padding``."""
    values = _batch(tensor)
    if normalize:
        values = np.stack([_normalised(v, value_range) for v in values]) if scale_each else \
            _normalised(values, value_range)
    if len(values) == 1:
        return Tensor(values[0])
    n, c, h, w = values.shape
    columns = min(nrow, n)
    rows = int(math.ceil(n / columns))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((c, cell_h * rows + padding, cell_w * columns + padding), pad_value,
                   dtype=values.dtype)
    for k in range(n):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + h, left:left + w] = values[k]
    return Tensor(grid)


def save_image(tensor: Any, fp: str | os.PathLike[str] | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:
    """:func:`make_grid` of ``tensor`` (``kwargs`` are its arguments) saved as an image (the
    format from ``fp``'s suffix unless ``format`` is given), written atomically."""
    from PIL import Image  # pillow is a dependency of telar; imported only when saving

    grid = make_grid(tensor, **kwargs).array
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if hasattr(fp, "write"):
        image.save(fp, format=format)
        return
    suffix = os.fspath(fp).rsplit(".", 1)[-1].upper() if "." in os.fspath(fp) else None
    with atomic_write(fp, "wb") as out:
        image.save(out, format=format or {"JPG": "JPEG"}.get(suffix or "", suffix) or "PNG")


__all__ = ["make_grid", "save_image"]
