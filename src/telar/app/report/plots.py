"""The run report's figures, each drawn on its own matplotlib ``Figure`` and returned as PNG bytes.

The same bytes are written to ``RUN/figures/report/`` and embedded in ``report.html``, so the
page and the files never differ. No pyplot global state: safe to call from several threads.
Every text drawn that comes from a file (class, run and picture names) goes through
:func:`telar.io.text.plain_label`: a ``$`` in a name is a dollar sign, not math text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from telar.io.text import plain_label  # noqa: E402

DPI = 100


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (no metadata that varies from run to run)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def curves_png(epochs: Sequence[float], series: dict[str, Sequence[float]], *, ylabel: str,
               title: str) -> bytes:
    """One line per entry of ``series`` (label -> one value per epoch) against the epoch."""
    fig = Figure(figsize=(6.0, 3.8))
    ax = fig.add_subplot()
    marker = "o" if len(epochs) <= 30 else None
    for name, values in series.items():
        ax.plot(list(epochs), list(values), label=plain_label(name), marker=marker,
                markersize=3)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(plain_label(ylabel))
    ax.set_title(plain_label(title))
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend()
    return png_bytes(fig)


def confusion_png(cm: np.ndarray, class_names: Sequence[str], *, normalised: bool,
                  title: str) -> bytes:
    """The confusion matrix ``cm[true, predicted]``: counts, or each row divided by its sum
    (``cm[i, j] / sum_j cm[i, j]``, the fraction of class ``i`` predicted as ``j``)."""
    k = len(class_names)
    values = row_normalised(cm) if normalised else np.asarray(cm)
    fig = Figure(figsize=(7.2, 6.2))
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalised else None)
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("fraction of the true class" if normalised else "images")
    labels = [plain_label(c) for c in class_names]
    ax.set_xticks(range(k), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels=labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(plain_label(title))
    top = float(values.max()) if values.size else 0.0
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalised else str(int(values[i, j]))
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if values[i, j] > top / 2 else "black")
    return png_bytes(fig)


def row_normalised(cm: np.ndarray) -> np.ndarray:
    """Each row of ``cm`` divided by its sum; a row with no images stays 0."""
    cm = np.asarray(cm, dtype=np.float64)
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.9,
                     dim: float = 0.45) -> np.ndarray:
    """RGB in [0, 1]: ``saliency`` (in [0, 1]) in the 'inferno' colour map blended over the
    dimmed grey uint8 ``image``, ``rgb = (1 - a·s) · dim · grey + a·s · colour(s)``, so the
    pixels that matter glow over a darker garment."""
    s = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0, 1)
    grey = np.repeat(np.asarray(image, dtype=np.float64)[..., None] / 255.0, 3, axis=-1)
    weight = (alpha * s)[..., None]
    return (1 - weight) * dim * grey + weight * colormaps["inferno"](s)[..., :3]


def image_grid_png(images: np.ndarray, captions: Sequence[str], *, title: str,
                   colours: Sequence[str] | None = None, columns: int = 6) -> bytes:
    """28×28 images in a grid, each with its caption: grey uint8 ``(n, 28, 28)`` (black
    background, as the data) or RGB in [0, 1] ``(n, 28, 28, 3)``.

    One mosaic on one Axes (cells 28 px apart by a white gutter), captions as text above each
    cell: much faster to draw than one Axes per image.
    """
    images = np.asarray(images)
    n = len(images)
    rows = max(1, -(-n // columns))
    gap_x, gap_y = 6, 16  # gutter in image pixels; the row gutter holds two caption lines
    cell_w, cell_h = 28 + gap_x, 28 + gap_y
    rgb = images.astype(np.float64) / 255.0 if images.ndim == 3 else images.astype(np.float64)
    if rgb.ndim == 3:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    mosaic = np.ones((rows * cell_h, columns * cell_w - gap_x, 3))
    fig = Figure(figsize=(1.45 * columns, 1.55 * rows + 0.35))
    ax = fig.add_axes((0, 0, 1, 1 - 0.35 / (1.55 * rows + 0.35)))
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * cell_h + gap_y, c * cell_w
        mosaic[top:top + 28, left:left + 28] = rgb[i]
        caption = "\n".join(plain_label(line) for line in str(captions[i]).split("\n"))
        ax.text(left + 14, top - 1.5, caption, ha="center", va="bottom", fontsize=7,
                color=colours[i] if colours is not None else "black", linespacing=1.1)
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(plain_label(title), y=0.995, fontsize=10)
    return png_bytes(fig)


def epoch_seconds_png(seconds: Sequence[float]) -> bytes:
    """Wall-clock seconds per epoch as bars."""
    fig = Figure(figsize=(6.0, 3.2))
    ax = fig.add_subplot()
    epochs = np.arange(1, len(seconds) + 1)
    ax.bar(epochs, seconds, color="#4c72b0")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("time (s)")
    ax.set_title(f"Time per epoch (total {sum(seconds):.2f} s)")
    ax.grid(True, axis="y", alpha=0.3)
    return png_bytes(fig)
