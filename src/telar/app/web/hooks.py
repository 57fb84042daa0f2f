"""The two functions the web app takes as parameters, with telar's own as defaults.

* ``PrepareImage``: ``(image file bytes) -> uint8 array (28, 28)``, a light garment on black,
  as Fashion-MNIST's own conversion made them (:func:`telar.app.photos.load_image`: EXIF
  orientation, alpha, crop, fit, centre, invert); raises
  :class:`~telar.errors.ImageFileError` on an unreadable, truncated or oversized file.
* ``Saliency``: ``(predictor, uint8 image (28, 28), class index) -> float array (28, 28)`` in
  [0, 1]: ``|d score_c / d pixel|`` scaled by its maximum (:func:`telar.app.saliency.saliency_map`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from telar.app.photos import load_image
from telar.app.saliency import saliency_map

PrepareImage = Callable[[bytes], np.ndarray]
Saliency = Callable[[Any, np.ndarray, int], np.ndarray]

__all__ = ["PrepareImage", "Saliency", "prepare_upload", "saliency_map"]


def prepare_upload(data: bytes) -> np.ndarray:
    """An uploaded picture's bytes -> the 28x28 input the model sees."""
    return load_image(data, name="upload")
