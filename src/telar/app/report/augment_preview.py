"""What the network is trained on: a grid of training images beside augmented copies (PNG).

Each row is one training image (its class name at the left): the original, then ``copies``
augmented versions of it. Rows cycle through the classes (one random image of class 0, of
class 1, …), drawn from a seeded generator; the copies come from one call of the
augmenter on the whole stack, as in training.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from telar.io.atomic import atomic_write_bytes  # noqa: E402
from telar.io.text import plain_label  # noqa: E402


def pick_examples(labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` indices, cycling through the classes in order, random within each class.

    >>> labels = np.array([1, 0, 1, 0, 2, 0])
    >>> labels[pick_examples(labels, 5, np.random.default_rng(0))].tolist()
    [0, 1, 2, 0, 1]
    """
    labels = np.asarray(labels)
    shuffled = rng.permutation(len(labels))
    by_class = shuffled[np.argsort(labels[shuffled], kind="stable")]
    sorted_labels = labels[by_class]
    rank = np.arange(len(labels)) - np.searchsorted(sorted_labels, sorted_labels)
    return by_class[np.lexsort((sorted_labels, rank))[:count]]


def augment_grid(images: np.ndarray, augment: Callable[[np.ndarray, np.random.Generator],
                                                       np.ndarray],
                 copies: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, copies, h, w)``: each of the ``n`` images ``(n, h, w)`` augmented ``copies`` times."""
    n, h, w = images.shape
    stack = np.repeat(images, copies, axis=0)
    return augment(stack, rng).reshape(n, copies, h, w)


def plot_augment_grid(originals: np.ndarray, augmented: np.ndarray, names: Sequence[str],
                      path: str | os.PathLike[str], *, title: str | None = None) -> None:
    """Draw ``originals`` ``(n, h, w)`` and ``augmented`` ``(n, k, h, w)`` in ``n`` rows."""
    n, k = augmented.shape[:2]
    if len(originals) != n or len(names) != n:
        raise ValueError(f"{len(originals)} originals and {len(names)} names for {n} rows")
    fig = Figure(figsize=(1.6 + 0.95 * (k + 1), 0.6 + 0.95 * n), layout="constrained")
    axes = fig.subplots(n, k + 1, squeeze=False)
    for row in range(n):
        for col in range(k + 1):
            ax = axes[row, col]
            image = originals[row] if col == 0 else augmented[row, col - 1]
            ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title("original" if col == 0 else f"copy {col}", fontsize=8)
        axes[row, 0].set_ylabel(plain_label(names[row]), rotation=0, ha="right", va="center",
                                fontsize=8)
    if title:
        fig.suptitle(plain_label(title), fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
