"""The two functions the web app borrows: photo -> 28×28 input, and a saliency map.

The app takes them as parameters (``create_app(prepare_image=…, saliency=…)``); these are the
defaults. They are simple stand-ins for ``telar.images`` (crop to the object, fit and centre by
mass, EXIF orientation) and ``telar.saliency``; wire those in here once they exist.

* ``PrepareImage``: ``(image file bytes) -> uint8 array (28, 28)``, a light garment on black;
  raises :class:`~telar.errors.TelarError` (or Pillow's errors) on an unreadable file.
* ``Saliency``: ``(predictor, uint8 image (28, 28), class index) -> float array (28, 28)`` in
  [0, 1]: ``|d score_c / d pixel|`` scaled by its maximum.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

from telar.report.saliency_stand_in import saliency_fallback

PrepareImage = Callable[[bytes], np.ndarray]
Saliency = Callable[[Any, np.ndarray, int], np.ndarray]

__all__ = ["PrepareImage", "Saliency", "prepare_image_fallback", "saliency_fallback"]


def prepare_image_fallback(data: bytes) -> np.ndarray:
    """Grey, resized to 28×28, inverted when the picture is light (Fashion-MNIST is a light
    garment on black): ``x = 255 - x`` when the mean of the border pixels exceeds 127."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.seek(0)
        grey = im.convert("L").resize((28, 28), Image.Resampling.LANCZOS)
    x = np.asarray(grey, dtype=np.uint8)
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    return (255 - x) if border.mean() > 127 else x.copy()
