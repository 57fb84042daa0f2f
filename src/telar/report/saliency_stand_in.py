"""A stand-in saliency map, until ``telar.saliency`` (the predict work) replaces it.

Used by the run report (the misclassified grid) and the web app. Replace the body of
:func:`saliency_fallback` with a call to ``telar.saliency`` (or point both callers at it).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def saliency_fallback(predictor: Any, image: np.ndarray, class_index: int) -> np.ndarray:
    """``|d logit_c / d x|`` per pixel, scaled to [0, 1].

    Autograd networks (``predictor.network``, a ``telar.nn.Module``) give the exact
    gradient through ``telar.autograd``; any other network (the hand-written seed network)
    gets central differences, ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every pixel ``i`` in
    one batch of 2 × 784 rows (exact for a ReLU network between its kinks).
    """
    x = predictor.preprocess(image[None])
    from telar.nn import Module

    model = predictor.network if isinstance(predictor.network, Module) else None
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
