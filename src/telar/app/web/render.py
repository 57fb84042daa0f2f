"""Pictures for the app: the 28×28 input enlarged, and a saliency map drawn over it."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

SCALE = 8  # 28 px -> 224 px, nearest neighbour: every input pixel stays a visible square


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def input_png(image: np.ndarray) -> bytes:
    """The uint8 28×28 image the model saw, each pixel a SCALE×SCALE grey square."""
    return _png(np.kron(image.astype(np.uint8), np.ones((SCALE, SCALE), np.uint8)))


def saliency_png(image: np.ndarray, saliency: np.ndarray) -> bytes:
    """``saliency`` (28×28, in [0, 1]) drawn over the grey image (see
    :func:`telar.app.report.plots.saliency_overlay`), each pixel a SCALE×SCALE square."""
    from telar.app.report.plots import saliency_overlay

    rgb = (saliency_overlay(image, saliency) * 255).round().astype(np.uint8)
    return _png(np.kron(rgb, np.ones((SCALE, SCALE, 1), np.uint8)))
