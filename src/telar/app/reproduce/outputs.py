"""Write what ``telar reproduce`` measured: figures, history.csv, reproduce.json, reproduce.md."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from telar.app.report.figures import plot_confusion_matrix, plot_curves
from telar.app.reproduce.claims import ClaimCheck
from telar.app.reproduce.experiment import RunResult
from telar.app.run_folder import ReproduceFolder
from telar.io.atomic import atomic_write_text


def high_lr_row(run: RunResult, epochs: int) -> dict:
    """One row of the higher-learning-rate table."""
    final = run.marks[epochs]
    counts = final.test_predicted_counts
    largest = max(range(len(counts)), key=lambda c: counts[c])
    return {"lr": run.lr, "softmax": "naive" if run.naive_softmax else "stable",
            "dtype": run.dtype, "epochs": epochs, "train_loss": final.train_loss,
            "train_accuracy": final.train_accuracy, "test_accuracy": final.test_accuracy,
            "test_loss": final.test_loss, "first_nonfinite_epoch": run.first_nonfinite_epoch,
            "max_abs_logit": run.max_abs_logit, "largest_class": largest,
            "largest_class_share": counts[largest] / max(1, sum(counts)),
            "test_predicted_class_counts": counts, "seconds": run.seconds}


def write_figures(run: RunResult, folder: ReproduceFolder, class_names) -> list[str]:
    """Per mark: loss curve, accuracy curve (train and test), test confusion matrix."""
    written = []
    for e, state in sorted(run.marks.items()):
        epochs = list(range(e + 1))
        plot_curves(epochs, {"train": run.train_loss[: e + 1], "test": run.test_loss[: e + 1]},
                    folder.mark_figure(e, "loss"), ylabel="cross-entropy loss",
                    title=f"Loss, full batch, lr {run.lr:g}, {e} epochs")
        plot_curves(epochs, {"train": run.train_accuracy[: e + 1],
                             "test": run.test_accuracy[: e + 1]},
                    folder.mark_figure(e, "accuracy"), ylabel="accuracy",
                    title=f"Accuracy, full batch, lr {run.lr:g}, {e} epochs")
        plot_confusion_matrix(state.test_confusion, class_names,
                              folder.mark_figure(e, "confusion"),
                              title=f"Test set after {e} epochs (accuracy "
                                    f"{state.test_accuracy:.3f})")
        written += [f"{folder.FIGURES}/{folder.mark_figure_name(e, k)}"
                    for k in ("loss", "accuracy", "confusion")]
    return written


def write_history(run: RunResult, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"])
    for e in range(len(run.train_loss)):
        w.writerow([e, f"{run.train_loss[e]:.6g}", f"{run.train_accuracy[e]:.6g}",
                    f"{run.test_loss[e]:.6g}", f"{run.test_accuracy[e]:.6g}"])
    atomic_write_text(path, buf.getvalue())


def write_json(path: Path, config: dict, run: RunResult, high_lr: list[dict],
               checks: list[ClaimCheck], perf: dict) -> None:
    doc = {"config": config, "marks": [s.as_dict() for _, s in sorted(run.marks.items())],
           "high_lr": high_lr, "performance": perf,
           "claims": [{"epoch": c.epoch, "claim": c.claim, "measured": c.measured,
                       "holds": c.holds, "note": c.note} for c in checks]}
    atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=True) + "\n")


def _yes_no(holds: bool | None) -> str:
    return "n/a" if holds is None else ("holds" if holds else "**does not hold**")


def write_markdown(path: Path, config: dict, run: RunResult, high_lr: list[dict],
                   checks: list[ClaimCheck], perf: dict) -> None:
    lines = ["# Reproducing the report's experiments", "",
             f"Network {'-'.join(map(str, config['sizes']))}, ReLU, the report's Xavier init "
             f"(seed {config['seed']}), softmax cross-entropy from logits, Adam lr "
             f"{config['lr']:g}, full batch ({config['train_images']} training images, "
             f"{config['test_images']} test images), {run.dtype}.", "",
             "## Measured at each mark", "",
             "| epochs | train loss | train accuracy | test loss | test accuracy |",
             "|---:|---:|---:|---:|---:|"]
    for e, s in sorted(run.marks.items()):
        lines.append(f"| {e} | {s.train_loss:.4f} | {s.train_accuracy:.4f} | "
                     f"{s.test_loss:.4f} | {s.test_accuracy:.4f} |")
    lines += ["", "## The report's claims", "", "| epochs | claim | measured | verdict |",
              "|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {c.epoch if c.epoch is not None else 'history'} | {c.claim} | "
                     f"{c.measured} | {_yes_no(c.holds)} |")
    notes = [c for c in checks if c.note]
    if notes:
        lines += [""] + [f"- {c.claim}: {c.note}" for c in notes]
    if high_lr:
        lines += ["", "## Higher learning rates (full batch)", "",
                  "| lr | softmax | dtype | epochs | train loss | test accuracy | largest "
                  "predicted class (share) | first non-finite epoch | max abs logit |",
                  "|---:|---|---|---:|---:|---:|---|---:|---:|"]
        for r in high_lr:
            nf = r["first_nonfinite_epoch"]
            lines.append(f"| {r['lr']:g} | {r['softmax']} | {r['dtype']} | {r['epochs']} | "
                         f"{r['train_loss']:.4f} | {r['test_accuracy']:.4f} | "
                         f"{r['largest_class']} ({r['largest_class_share']:.0%}) | "
                         f"{'-' if nf is None else nf} | {r['max_abs_logit']:.3g} |")
        lines += ["", "Predicted-class histogram on the test set (classes 0-9):", ""]
        for r in high_lr:
            lines.append(f"- lr {r['lr']:g}, {r['softmax']} softmax, {r['dtype']}: "
                         f"{r['test_predicted_class_counts']}")
    lines += ["", "## Speed", "",
              f"Main run: {perf['seconds']:.1f} s for {perf['epochs']} full-batch epochs "
              f"({perf['seconds_per_epoch']:.3f} s/epoch including a test-set pass, "
              f"{perf['gflops_per_s']:.0f} GFLOP/s of training arithmetic).", ""]
    atomic_write_text(path, "\n".join(lines))
