"""Why did it say that: saliency maps, the gradient of a class's score with respect to the input.

For an input ``x`` (one row per image, pixels scaled as the model takes them) and the logit
``z_c`` of a class ``c`` (by default the predicted one, ``argmax z``), the saliency map is::

    s = d z_c / d x           (same shape as x; one number per pixel)

``s[i] > 0``: brightening pixel ``i`` raises the class's score; ``s[i] < 0``: lowers it. The
logit, not the softmax probability, is used (Simonyan, Vedaldi & Zisserman 2014): the
probability saturates near 1 and its gradient vanishes exactly where the network is sure.

Two engines compute it:

* an autodiff network (a :class:`telar.nn.Module`): ``x`` becomes a Tensor with
  ``requires_grad=True``, the forward runs in evaluation mode (dropout off, BatchNorm on its
  running statistics), and ``backward`` is seeded with ``onehot(c)`` on the logits;
* the hand-written network (dense layers ``h[l] = a[l-1] @ W[l] + b[l]``, ReLU between them),
  from its weights by the chain rule, written out::

      g[L]   = onehot(c)                                  (d z_c / d z)
      g[l]   = (g[l+1] @ W[l+1].T) * relu'(h[l])          relu'(h) = 1 if h > 0 else 0
      s      = g[1] @ W[1].T                              (layers numbered from 1)

  For a linear model (no hidden layer) ``s = W[:, c]``: the class's weight row.

>>> import numpy as np
>>> w, b = np.eye(4, 2), np.zeros(2)
>>> dense_relu_input_gradient([(w, b)], np.ones((1, 4)), classes=[1])[0]
array([[0., 1., 0., 0.]])
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from telar.engine import Tensor, enable_grad
from telar.engine.array import to_host
from telar.errors import TelarError
from telar.io.atomic import atomic_write_bytes
from telar.io.text import plain_label
from telar.nn import Module


def _classes(logits: np.ndarray, classes: Sequence[int] | np.ndarray | None) -> np.ndarray:
    if classes is None:
        return logits.argmax(axis=1)
    chosen = np.asarray(classes, dtype=np.int64).reshape(-1)
    if chosen.shape[0] != logits.shape[0]:
        raise ValueError(f"{logits.shape[0]} inputs but {chosen.shape[0]} classes")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= logits.shape[1]):
        raise ValueError(f"classes must be in 0..{logits.shape[1] - 1}, got {chosen.tolist()}")
    return chosen


def _onehot(chosen: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    seed = np.zeros((chosen.shape[0], n_classes), dtype)
    seed[np.arange(chosen.shape[0]), chosen] = 1
    return seed


def dense_relu_input_gradient(
    layers: Sequence[tuple[np.ndarray, np.ndarray]],
    x: np.ndarray,
    classes: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(d z_c / d x, logits)`` for a dense ReLU network given as ``[(W, b), ...]``.

    ``W[l]`` has shape ``(n_in, n_out)`` (``h = a @ W + b``, the hand-written network's
    layout); ReLU after every layer but the last. ``x`` is ``(n, n_in)``; computed in float64.
    """
    a = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    masks = []
    for l, (w, b) in enumerate(layers):
        a = a @ np.asarray(w, np.float64) + np.asarray(b, np.float64)
        if l < len(layers) - 1:
            masks.append(a > 0)  # relu'(h)
            a = a * masks[-1]
    logits = a
    g = _onehot(_classes(logits, classes), logits.shape[1], np.float64)
    for l in range(len(layers) - 1, -1, -1):
        g = g @ np.asarray(layers[l][0], np.float64).T  # d/d a[l-1]
        if l > 0:
            g = g * masks[l - 1]  # through the ReLU of layer l-1
    return g.reshape(np.shape(x)), logits


def module_input_gradient(
    model: Any, x: np.ndarray, classes: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(d z_c / d x, logits)`` for a :class:`telar.nn.Module`, by the autodiff engine.

    The model runs in evaluation mode and is left in the mode it was in; its parameters'
    gradients are neither computed nor touched.
    """

    params = list(model.parameters())
    dtype = params[0].array.dtype if params else np.float64
    was_training = model.training
    needs = [p.requires_grad for p in params]
    try:
        model.eval()
        for p in params:
            p.requires_grad = False  # only the input's gradient is wanted
        with enable_grad():
            values = np.array(x, dtype=dtype)
            if params:  # the input goes where the model lives (a GPU model: to the GPU)
                values = params[0].device.put(values)
            inputs = Tensor(values, requires_grad=True)
            out = model(inputs)
            logits = np.array(to_host(out.array), copy=True)
            out.backward(_onehot(_classes(logits, classes), logits.shape[1], logits.dtype))
    finally:
        for p, need in zip(params, needs, strict=True):
            p.requires_grad = need
        model.train(was_training)
    return to_host(inputs.grad), logits


def input_gradient(
    network: Any, x: np.ndarray, classes: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(saliency d z_c / d x, logits)`` for whatever network a model file rebuilds.

    ``network`` is a :class:`telar.nn.Module` (or an object holding one as ``.model``) for the
    autodiff engine, or the hand-written network (an object with ``weights`` and ``biases``
    lists, or holding one as ``.network``). ``classes``: one class per row (default: argmax).
    """

    for candidate in (network, getattr(network, "model", None)):
        if isinstance(candidate, Module):
            return module_input_gradient(candidate, x, classes)
    for candidate in (network, getattr(network, "network", None)):
        if hasattr(candidate, "weights") and hasattr(candidate, "biases"):
            layers = list(zip(candidate.weights, candidate.biases, strict=True))
            return dense_relu_input_gradient(layers, x, classes)
    raise TelarError(f"no saliency map for a {type(network).__name__}: it is neither a "
                     "telar.nn module nor the hand-written network")


# ------------------------------------------------------------------------------------ drawing

def saliency_png(image: np.ndarray, saliency: np.ndarray, *, title: str | None = None) -> bytes:
    """A PNG of two panels: the 28×28 input the network saw, and the saliency drawn over it.

    Over the grey input, red marks pixels that raise the class's score when brightened, blue
    those that lower it; the colour is opaque where ``|s|`` is largest and fades out where it
    is near 0. ``image``: uint8 (28, 28) (or any 2-D shape with as many pixels as
    ``saliency``).
    """
    # matplotlib only here: the web app computes saliency maps without importing it (~0.4 s)
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    picture = np.asarray(image)
    s = np.asarray(saliency, dtype=np.float64).reshape(picture.shape)
    limit = float(np.abs(s).max()) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    fig = Figure(figsize=(6.4, 3.4))
    left, right = fig.subplots(1, 2)
    left.imshow(picture, cmap="gray", vmin=0, vmax=255)
    left.set_title("input the network saw")
    right.imshow(picture, cmap="gray", vmin=0, vmax=255)
    colours = colormaps["RdBu_r"](norm(s))
    colours[..., 3] = np.clip(np.abs(s) / limit, 0.0, 1.0)  # fade out where |s| is small
    right.imshow(colours)
    bar = fig.colorbar(ScalarMappable(norm, "RdBu_r"), ax=right, fraction=0.046, pad=0.04)
    bar.set_label("d score / d pixel")
    right.set_title("saliency (red raises the score)", fontsize=10)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(plain_label(title))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def save_saliency_png(path: str | os.PathLike[str], image: np.ndarray, saliency: np.ndarray,
                      *, title: str | None = None) -> None:
    """:func:`saliency_png` written atomically to ``path``."""
    atomic_write_bytes(path, saliency_png(image, saliency, title=title))


def saliency_map(predictor: Any, image: np.ndarray, class_index: int) -> np.ndarray:
    """``|d score_c / d pixel|`` of a 28x28 uint8 ``image`` for a loaded
    :class:`~telar.app.inference.Predictor`, scaled to [0, 1] by its maximum (what the run report
    and the web app draw)."""
    x = predictor.preprocess(image[None])
    grad, _ = input_gradient(predictor.network, x, [class_index])
    magnitude = np.abs(np.asarray(grad, dtype=np.float64)).reshape(image.shape)
    top = magnitude.max()
    return magnitude / top if top > 0 else magnitude
