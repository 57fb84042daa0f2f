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

PrepareImage = Callable[[bytes], np.ndarray]
Saliency = Callable[[Any, np.ndarray, int], np.ndarray]


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


def saliency_fallback(predictor: Any, image: np.ndarray, class_index: int) -> np.ndarray:
    """``|d logit_c / d x|`` per pixel, scaled to [0, 1].

    Autograd networks (``predictor.network.model``, a ``telar.nn.Module``) give the exact
    gradient through ``telar.autograd``; any other network (the hand-written seed network)
    gets central differences, ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every pixel ``i`` in
    one batch of 2 × 784 rows (exact for a ReLU network between its kinks).
    """
    x = predictor.preprocess(image[None])
    model = getattr(predictor.network, "model", None)
    if model is not None:
        from telar.autograd import Tensor, enable_grad
        with enable_grad():
            inp = Tensor(x, requires_grad=True)
            out = model(inp)
            seed = np.zeros(out.shape, dtype=out.data.dtype)
            seed[0, class_index] = 1
            out.backward(seed)
        grad = np.asarray(inp.grad).reshape(-1)
        model.zero_grad()
    else:
        h = 1e-2
        eye = np.eye(x.shape[1], dtype=x.dtype) * x.dtype.type(h)
        logits = predictor.logits(np.concatenate([x + eye, x - eye]))
        plus, minus = np.split(logits[:, class_index].astype(np.float64), 2)
        grad = (plus - minus) / (2 * h)
    sal = np.abs(grad).reshape(image.shape).astype(np.float64)
    top = sal.max()
    return sal / top if top > 0 else sal
