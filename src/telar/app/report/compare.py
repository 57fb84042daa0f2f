"""Several runs side by side: their curves overlaid on one page, their summaries in one table.

``compare_runs(dirs)`` reads only what each run folder holds (summary.json, metrics.csv,
config.toml): nothing is trained or predicted. The same table is given as HTML (in the page)
and as Markdown (for a terminal, an issue or a README).

>>> page, markdown = compare_runs(["runs/a", "runs/b"])    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from telar.app.report import page as P
from telar.app.report import plots
from telar.app.report.page import format_value
from telar.app.run_folder import RunFolder
from telar.io.text import printable

#: (column title, summary key) of the comparison table, after the run's name.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("network", "network"), ("engine", "engine"), ("epochs", "epochs"),
    ("parameters", "parameters"), ("test accuracy", "test_accuracy"),
    ("test loss", "test_loss"), ("train seconds", "train_seconds"),
)


def run_labels(runs: Sequence[RunFolder]) -> list[str]:
    """Each run's folder name, or its whole path where two runs share a name."""
    names = [r.name for r in runs]
    return [r.name if names.count(r.name) == 1 else str(r.path) for r in runs]


def summary_rows(runs: Sequence[RunFolder]) -> tuple[list[str], list[list[str]]]:
    """The table's header and rows (values formatted as in the run reports)."""
    header = ["run", *(title for title, _ in COLUMNS), "seconds per epoch"]
    rows = []
    for label, run in zip(run_labels(runs), runs, strict=True):
        s = {"network": run.summary.get("preset", ""), **run.summary}  # older runs: preset
        per_epoch = (float(s["train_seconds"]) / s["epochs"]
                     if isinstance(s.get("train_seconds"), int | float)
                     and isinstance(s.get("epochs"), int) and s["epochs"] > 0 else None)
        rows.append([label, *(format_value(s.get(key, "")) for _, key in COLUMNS),
                     format_value(per_epoch) if per_epoch is not None else ""])
    return header, rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table (``|`` in a cell escaped as ``\\|``, control
    characters as :func:`telar.io.text.printable` shows them: the table goes to a terminal)."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(printable(str(c)).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), "|" + "|".join("---" for _ in header) + "|",
                      *(line(r) for r in rows)])


def overlay_png(runs: Sequence[RunFolder], what: str) -> bytes | None:
    """``what`` ("loss" or "accuracy") per epoch of every run: train and validation/test."""
    series: dict[str, list[float]] = {}
    longest: list[float] = []
    for label, run in zip(run_labels(runs), runs, strict=True):
        epochs = run.metrics.get("epoch", [])
        for key in ("train", run.eval_name):
            values = run.metrics.get(f"{key}_{what}")
            if values and len(values) == len(epochs):
                series[f"{label} {'validation' if key == 'val' else key}"] = values
                longest = epochs if len(epochs) > len(longest) else longest
    if not series:
        return None
    padded = {k: v + [float("nan")] * (len(longest) - len(v)) for k, v in series.items()}
    ylabel = "cross-entropy loss (nats)" if what == "loss" else "accuracy"
    return plots.curves_png(longest, padded, ylabel=ylabel,
                            title=f"{what.capitalize()} per epoch, {len(runs)} runs")


def compare_runs(run_dirs: Sequence[str | Path]) -> tuple[str, str]:
    """``(html page, markdown table)`` comparing the runs in ``run_dirs``."""
    runs = [RunFolder.open(d) for d in run_dirs]
    header, rows = summary_rows(runs)
    figures = {what: png for what in ("loss", "accuracy")
               if (png := overlay_png(runs, what)) is not None}
    body = P.section("summaries", "Summaries",
                     P.table(header, rows, [False, False, False] + [True] * (len(header) - 3)))
    body += P.section("curves", "Curves",
                      "".join(P.figure(png, f"{what} per epoch of every run")
                              for what, png in figures.items())
                      or '<p class="muted">None of these runs has a metrics.csv.</p>')
    body += P.section("runs", "Run folders", P.table(
        ["run", "folder"], [(label, str(run.path.resolve()))
                            for label, run in zip(run_labels(runs), runs, strict=True)]))
    html = P.page(f"telar: {len(runs)} runs compared", body,
                  subtitle=", ".join(run_labels(runs)))
    return html, markdown_table(header, rows)

