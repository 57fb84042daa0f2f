"""Figures as PNG files: training curves and confusion matrices (matplotlib, Agg backend).

Each figure is drawn on its own ``Figure`` (no pyplot global state), saved to memory and
written atomically, so a killed process never leaves a half-written PNG.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede any pyplot import elsewhere
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from telar.io.atomic import atomic_write_bytes  # noqa: E402
from telar.io.text import plain_label  # noqa: E402


def _save(fig: Figure, path: str | os.PathLike[str]) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def plot_curves(
    epochs: Sequence[float],
    series: dict[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    ylabel: str,
    title: str | None = None,
) -> None:
    """One line per entry of ``series`` (label -> values per epoch) against ``epochs``."""
    if not series:
        raise ValueError("plot_curves needs at least one series")
    for name, values in series.items():
        if len(values) != len(epochs):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(epochs)} epochs")
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    marker = "o" if len(epochs) <= 30 else None
    for name, values in series.items():
        ax.plot(epochs, values, label=plain_label(name), marker=marker, markersize=3)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole: no 2.5 ticks
    ax.set_ylabel(plain_label(ylabel))
    if title:
        ax.set_title(plain_label(title))
    ax.grid(True, alpha=0.3)
    ax.legend()
    _save(fig, path)


def plot_confusion_matrix(
    cm: np.ndarray,
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> None:
    """Counts per (true, predicted) class, class names on both axes, counts in the cells."""
    cm = np.asarray(cm)
    k = len(class_names)
    if cm.shape != (k, k):
        raise ValueError(f"confusion matrix of shape {cm.shape} for {k} class names")
    fig = Figure(figsize=(7.5, 6.5))
    ax = fig.add_subplot()
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    labels = [plain_label(c) for c in class_names]
    ax.set_xticks(range(k), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels=labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(plain_label(title))
    threshold = cm.max() / 2 if cm.size and cm.max() > 0 else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > threshold else "black")
    _save(fig, path)
