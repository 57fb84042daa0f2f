"""Pictures for the app: the 28×28 input enlarged, and a saliency map drawn over it."""

from __future__ import annotations

import base64
import io

import numpy as np

SCALE = 8  # 28 px -> 224 px, nearest neighbour: every input pixel stays a visible square


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def input_png(image: np.ndarray) -> bytes:
    """The uint8 28×28 image the model saw, each pixel a SCALE×SCALE grey square."""
    return _png(np.kron(image.astype(np.uint8), np.ones((SCALE, SCALE), np.uint8)))


def saliency_png(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.65) -> bytes:
    """``saliency`` (28×28, in [0, 1]) in the 'inferno' colour map blended over the grey image:
    ``rgb = (1 - a·s) · grey + a·s · colour(s)``, so pixels that matter glow."""
    from matplotlib import colormaps

    s = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0, 1)
    grey = np.repeat(image.astype(np.float64)[..., None] / 255.0, 3, axis=2)
    colour = colormaps["inferno"](s)[..., :3]
    weight = (alpha * s)[..., None]
    rgb = ((1 - weight) * grey + weight * colour) * 255
    big = np.kron(rgb.round().astype(np.uint8), np.ones((SCALE, SCALE, 1), np.uint8))
    return _png(big)
