"""``report.html`` for a ``telar reproduce`` folder: the marks, the judged claims, the figures.

Everything comes from what the run wrote (``reproduce.json`` and ``figures/epochNNNN_*.png``),
so ``telar report DIR`` rebuilds it without training again. One self-contained page, figures
embedded as data URIs, every string escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telar.app.report.page import esc, figure, page, section, table
from telar.app.run_folder import ReproduceFolder
from telar.errors import TelarError
from telar.io.atomic import atomic_write_text


def is_reproduce_folder(path: str | Path) -> bool:
    return ReproduceFolder(path).is_reproduce_folder


def _verdict(holds: bool | None) -> str:
    return "n/a" if holds is None else ("holds" if holds else "does not hold")


def build_reproduce_report(folder: str | Path) -> Path:
    """Write ``folder/report.html`` from ``folder/reproduce.json`` and its figures."""
    folder = ReproduceFolder(folder)
    doc: dict[str, Any] = folder.record
    try:
        config, marks, claims = doc["config"], doc["marks"], doc["claims"]
    except (KeyError, TypeError) as exc:
        raise TelarError(f"{folder.record_path}: cannot read it ({exc})") from None
    sizes = "-".join(str(s) for s in config.get("sizes", []))
    body = [section("config", "Experiment", table(
        ["setting", "value"],
        [("network", f"{sizes}, ReLU, the report's Xavier init"),
         ("optimiser", f"Adam, lr {config.get('lr')}, full batch"),
         ("seed", config.get("seed")), ("training images", config.get("train_images")),
         ("test images", config.get("test_images")), ("data", config.get("data")),
         ("dtype", config.get("dtype"))]))]
    body.append(section("marks", "Measured at each epoch mark", table(
        ["epochs", "train loss", "train accuracy", "test loss", "test accuracy"],
        [(m["epoch"], f"{m['train_loss']:.4f}", f"{m['train_accuracy']:.4f}",
          f"{m['test_loss']:.4f}", f"{m['test_accuracy']:.4f}") for m in marks],
        numeric=[True] * 5)))
    body.append(section("claims", "The report's claims, judged", table(
        ["epochs", "claim", "measured", "verdict"],
        [(c["epoch"] if c["epoch"] is not None else "history", c["claim"], c["measured"],
          _verdict(c["holds"])) for c in claims])))
    if doc.get("high_lr"):
        body.append(section("high-lr", "Higher learning rates", table(
            ["lr", "softmax", "dtype", "epochs", "train loss", "test accuracy",
             "largest predicted class (share)", "max |logit|"],
            [(r["lr"], r["softmax"], r["dtype"], r["epochs"], f"{r['train_loss']:.4f}",
              f"{r['test_accuracy']:.4f}",
              f"{r['largest_class']} ({r['largest_class_share']:.0%})",
              f"{r['max_abs_logit']:.3g}") for r in doc["high_lr"]])))
    figures = []
    for m in marks:
        for kind, what in (("loss", "loss"), ("accuracy", "accuracy"),
                           ("confusion", "test confusion matrix")):
            path = folder.mark_figure(int(m["epoch"]), kind)
            if path.is_file():
                figures.append(figure(path.read_bytes(), f"{what} at {m['epoch']} epochs",
                                      f"{what}, {m['epoch']} epochs"))
    if figures:
        body.append(section("figures", "Figures at each mark",
                            '<div class="pair">' + "".join(figures) + "</div>"))
    perf = doc.get("performance", {})
    if perf:
        seconds, per_epoch = perf.get("seconds", 0.0), perf.get("seconds_per_epoch", 0.0)
        body.append(section("speed", "Time", esc(
            f"{seconds:.1f} s for {perf.get('epochs')} full-batch epochs "
            f"({per_epoch:.3f} s per epoch, a test-set pass included).")))
    out = folder.report_path
    atomic_write_text(out, page("telar reproduce: the report's experiments", "".join(body),
                                subtitle=str(folder.path)))
    return out
