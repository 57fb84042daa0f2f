"""``RUN/report.html``: one self-contained page that explains a training run.

Sections (each a ``<section id=…>``): ``summary`` (final figures), ``config`` (config.toml),
``curves`` (loss and accuracy per epoch, train and validation/test), ``confusion`` (counts and
row-normalised), ``per-class`` (precision, recall, F1 by scikit-learn), ``misclassified`` (the
test images the model got wrong with the highest probability, and their saliency maps),
``samples`` (the first test images and their predictions) and ``timing`` (seconds per epoch).

The model is loaded from ``RUN/model.npz`` and run on the test set of the data the run was
trained with. Every figure is written to ``RUN/figures/report/NAME.png`` and embedded in the page
as the same bytes.

>>> build_report("runs/20250101-120000-seed")            # doctest: +SKIP
PosixPath('runs/20250101-120000-seed/report.html')
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from telar.app.evaluation import confusion_matrix, per_class_report
from telar.app.inference import load_predictor
from telar.app.report import page as P
from telar.app.report import plots
from telar.app.report.page import format_value
from telar.app.report.predictions import load_run_test_set, probabilities_of
from telar.app.run_folder import RunFolder
from telar.app.runs.config import settings_that_apply
from telar.app.saliency import saliency_map
from telar.errors import TelarError
from telar.io.atomic import atomic_write_bytes, atomic_write_text

Saliency = Callable[[Any, np.ndarray, int], np.ndarray]

FIGURES = "report"  # the report's own figures: figures/report/ in the run folder
GRID_SIZE = 18


def build_report(run_dir: str | Path, *, saliency: Saliency | None = None) -> Path:
    """Write ``run_dir/report.html`` (and its figures) and return its path.

    ``saliency(predictor, image, class) -> (28, 28) in [0, 1]`` explains the misclassified
    images (default: :func:`telar.app.saliency.saliency_map`).
    """
    run = RunFolder.open(run_dir, need_model=True)
    folder = run.figures_folder(FIGURES)  # first: a linked figures/ stops it before any work
    predictor = load_predictor(run.inside(run.model_path))
    images, labels, source = load_run_test_set(run)
    class_names = [str(c) for c in predictor.class_names]
    if labels.size and int(labels.max()) >= len(class_names):
        raise TelarError(f"{run.path}: the test labels go up to {int(labels.max())} but the "
                         f"model knows {len(class_names)} classes")
    probs = probabilities_of(predictor, images)
    figures = report_figures(run, images, labels, probs, class_names)
    wrong = most_confident_mistakes(labels, probs, GRID_SIZE)
    if len(wrong):
        figures = _insert_after(figures, "misclassified", "misclassified_saliency",
                                _mistakes_saliency_png(predictor, images, labels, probs, wrong,
                                                       class_names, saliency or
                                                       saliency_map))
    for name, png in figures.items():
        atomic_write_bytes(folder / f"{name}.png", png)
    html = report_html(run, labels, probs, class_names, figures, source)
    out = run.report_path
    atomic_write_text(out, html)
    return out


def report_figures(run: RunFolder, images: np.ndarray, labels: np.ndarray, probs: np.ndarray,
                   class_names: list[str]) -> dict[str, bytes]:
    """Figure name -> PNG bytes, in page order (curves only when metrics.csv has epochs)."""
    figs: dict[str, bytes] = {}
    epochs = run.metrics.get("epoch", [])
    ev = run.eval_name
    eval_label = "validation" if ev == "val" else ev
    for what, ylabel in (("loss", "cross-entropy loss (nats)"), ("accuracy", "accuracy")):
        series = {label: run.metrics[f"{key}_{what}"]
                  for key, label in (("train", "train"), (ev, eval_label))
                  if f"{key}_{what}" in run.metrics}
        if epochs and series:
            figs[what] = plots.curves_png(epochs, series, ylabel=ylabel,
                                          title=f"{what.capitalize()} per epoch")
    predicted = probs.argmax(axis=1)
    cm = confusion_matrix(labels, predicted, n_classes=len(class_names))
    accuracy = float((predicted == labels).mean()) if labels.size else float("nan")
    figs["confusion_counts"] = plots.confusion_png(
        cm, class_names, normalised=False,
        title=f"Test confusion matrix, counts (accuracy {accuracy:.4f})")
    figs["confusion_normalised"] = plots.confusion_png(
        cm, class_names, normalised=True, title="Test confusion matrix, each row divided by "
                                                "its true-class count")
    wrong = most_confident_mistakes(labels, probs, GRID_SIZE)
    if len(wrong):
        figs["misclassified"] = plots.image_grid_png(
            images[wrong], [f"true: {class_names[labels[i]]}\npred: {class_names[predicted[i]]}"
                            f" ({probs[i, predicted[i]]:.2f})" for i in wrong],
            title="Most confidently misclassified test images (probability of the prediction)",
            colours=["#b00020"] * len(wrong))
    sample = np.arange(min(GRID_SIZE, len(labels)))
    if len(sample):
        figs["samples"] = plots.image_grid_png(
            images[sample], [f"pred: {class_names[predicted[i]]} ({probs[i, predicted[i]]:.2f})"
                             f"\ntrue: {class_names[labels[i]]}" for i in sample],
            title="The first test images and their predictions (green: right, red: wrong)",
            colours=["#1b7a1b" if predicted[i] == labels[i] else "#b00020" for i in sample])
    seconds = epoch_seconds(run)
    if seconds:
        figs["epoch_seconds"] = plots.epoch_seconds_png(seconds)
    return figs


def _mistakes_saliency_png(predictor: Any, images: np.ndarray, labels: np.ndarray,
                           probs: np.ndarray, wrong: np.ndarray, class_names: list[str],
                           saliency: Saliency) -> bytes:
    """The misclassified grid again, each image with the saliency of its predicted class."""
    predicted = probs.argmax(axis=1)
    overlays = np.stack([plots.saliency_overlay(images[i], saliency(predictor, images[i],
                                                                    int(predicted[i])))
                         for i in wrong])
    return plots.image_grid_png(
        overlays, [f"why {class_names[predicted[i]]}?\n(true: {class_names[labels[i]]})"
                   for i in wrong],
        title="Why: saliency of the predicted class, |d score / d pixel| (bright: matters most)")


def _insert_after(figures: dict[str, bytes], after: str, name: str,
                  png: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, value in figures.items():
        out[key] = value
        if key == after:
            out[name] = png
    return out


def most_confident_mistakes(labels: np.ndarray, probs: np.ndarray, k: int) -> np.ndarray:
    """Indices of at most ``k`` wrong predictions, highest predicted probability first
    (ties by index, so the choice is deterministic)."""
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probs[wrong, predicted[wrong]]
    order = np.lexsort((wrong, -confidence))
    return wrong[order[:k]]


def epoch_seconds(run: RunFolder) -> list[float]:
    """Seconds per epoch: metrics.csv's ``seconds`` column, else summary's ``epoch_seconds``."""
    if "seconds" in run.metrics:
        return list(run.metrics["seconds"])
    values = run.summary.get("epoch_seconds")
    return [float(v) for v in values] if isinstance(values, list) else []


def report_html(run: RunFolder, labels: np.ndarray, probs: np.ndarray, class_names: list[str],
                figures: dict[str, bytes], source: str) -> str:
    """The page itself (see the module docstring for its sections)."""
    predicted = probs.argmax(axis=1)
    fig = figures.get
    summary_rows = [(k, format_value(v)) for k, v in run.summary.items()]
    summary_rows.append(("test accuracy recomputed for this report",
                         format_value(float((predicted == labels).mean()))))
    parts = [
        '<div class="cols">'
        + P.section("summary", "Final figures", P.table(["figure", "value"], summary_rows)),
        P.section("config", "Configuration",
                  P.table(["setting", "value"],
                          [(k, format_value(v))
                           for k, v in settings_that_apply(run.train_section()).items()])
                  + f'<p class="muted">Run it again: <code>telar train --config '
                    f'{P.esc(run.config_path)}</code></p>') + "</div>",
        P.section("curves", "Loss and accuracy per epoch",
                  _pair(P.figure(fig(n), f"{n} per epoch", f"{n}: train and "
                          f"{'validation' if run.eval_name == 'val' else run.eval_name}")
                          for n in ("loss", "accuracy") if n in figures)
                  or '<p class="muted">No metrics.csv in this run folder.</p>'),
        P.section("confusion", "Confusion matrix (test set)", _pair([
                  P.figure(fig("confusion_counts"), "confusion matrix, counts", "counts"),
                  P.figure(fig("confusion_normalised"), "confusion matrix, row-normalised",
                           "row-normalised: the fraction of each true class")])),
        P.section("per-class", "Per-class precision, recall and F1 (scikit-learn)",
                  _per_class_table(per_class_report(labels, predicted, class_names))),
        P.section("misclassified", "Most confidently misclassified test images",
                  _pair([P.figure(fig("misclassified"), "misclassified test images"),
                         P.figure(fig("misclassified_saliency"),
                                  "saliency maps of the misclassified test images")])
                  if "misclassified" in figures else "<p>No test image is misclassified.</p>"),
        P.section("samples", "Sample predictions",
                  P.figure(fig("samples"), "sample predictions")
                  + _samples_table(labels, probs, class_names)),
        P.section("timing", "Time per epoch", _timing(run, figures)),
    ]
    nav = "<nav>" + "".join(f'<a href="#{i}">{P.esc(t)}</a>' for i, t in (
        ("summary", "summary"), ("config", "configuration"), ("curves", "curves"),
        ("confusion", "confusion"), ("per-class", "per class"),
        ("misclassified", "mistakes"), ("samples", "samples"), ("timing", "timing"))) + "</nav>"
    return P.page(f"telar run report: {run.name}", nav + "".join(parts),
                  subtitle=f"{run.path} · {len(labels)} test images from {source}")


def _pair(figures: Any) -> str:
    """Figures (HTML strings) side by side where the page is wide enough; "" if none."""
    items = list(figures)
    return f'<div class="pair">{"".join(items)}</div>' if items else ""


def _per_class_table(report: dict[str, Any]) -> str:
    rows = [(name, f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}",
             s["support"]) for name, s in report.items()]
    return P.table(["class", "precision", "recall", "F1", "support"], rows,
                   [False, True, True, True, True])


def _samples_table(labels: np.ndarray, probs: np.ndarray, class_names: list[str]) -> str:
    n = min(GRID_SIZE, len(labels))
    predicted = probs.argmax(axis=1)
    rows = [(i, class_names[labels[i]], class_names[predicted[i]],
             f"{probs[i, predicted[i]]:.4f}", "yes" if predicted[i] == labels[i] else "no")
            for i in range(n)]
    return P.table(["test image", "true class", "predicted", "probability", "right"], rows,
                   [True, False, False, True, False])


def _timing(run: RunFolder, figures: dict[str, bytes]) -> str:
    seconds = epoch_seconds(run)
    if not seconds:
        return '<p class="muted">No per-epoch times recorded.</p>'
    text = (f"<p>{len(seconds)} epochs in {sum(seconds):.2f} s: mean "
            f"{np.mean(seconds):.3f} s, median {np.median(seconds):.3f} s per epoch.</p>")
    return text + P.figure(figures["epoch_seconds"], "seconds per epoch")
