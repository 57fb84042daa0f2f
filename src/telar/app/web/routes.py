"""The app's pages and JSON API: the Blueprint ``web`` (endpoints ``web.index``, ...).

Each view reads its app's runs and settings from :func:`~telar.app.web.state.web_state`;
refusals are raised as :class:`~telar.app.web.errors.AppError` and answered by the app's
error handlers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, send_file

from telar.app.report.page import format_value
from telar.app.run_folder import RunFolder
from telar.app.web.classify import classify
from telar.app.web.errors import AppError
from telar.app.web.shelf import RunEntry
from telar.app.web.state import web_state
from telar.errors import TelarError

web = Blueprint("web", __name__)

#: The summary.json fields the runs page shows, in its column order.
SUMMARY_FIELDS = ("test_accuracy", "test_loss", "epochs", "parameters", "network", "engine",
                  "train_seconds")


@web.get("/")
def index() -> str:
    return classify_page(None)


@web.post("/api/predict")
def api_predict() -> Response:
    return jsonify(classify())


@web.post("/predict")
def predict_page() -> str:
    """The plain form's answer (no JavaScript): the upload page with the prediction filled in."""
    return classify_page(classify())


def classify_page(result: dict[str, Any] | None) -> str:
    """The upload page, with ``result`` (from :func:`classify`) shown and its model selected."""
    state = web_state()
    return render_template("index.html", runs=state.shelf.model_runs(), result=result,
                           selected=result["run"] if result else None,
                           max_mb=state.max_bytes / 2**20)


@web.get("/runs")
def runs_page() -> str:
    shelf = web_state().shelf
    runs = shelf.runs()
    return render_template("runs.html", runs=runs, root=shelf.root,
                           summaries={r.id: summary_view(r) for r in runs},
                           fields=SUMMARY_FIELDS)


def summary_view(run: RunEntry) -> dict[str, str]:
    """The SUMMARY_FIELDS that ``run``'s summary.json has, formatted for the runs page."""
    # runs from before "network" was recorded: their preset named the network
    summary = {"network": run.summary.get("preset"), **run.summary}
    return {k: format_value(summary[k]) for k in SUMMARY_FIELDS if summary.get(k) is not None}


@web.get("/runs/<path:relative>")
def run_file(relative: str) -> Response:
    """A file inside the runs folder (never outside: see :meth:`Shelf.file`); a run's missing
    report.html is built first when the run has a model."""
    shelf = web_state().shelf
    path = shelf.file(relative)
    if path is None and relative.endswith(f"/{RunFolder.REPORT}"):
        path = build_missing_report(relative.removesuffix(f"/{RunFolder.REPORT}"))
    if path is None:
        raise AppError(404, f"no file {relative!r} in the runs folder")
    return send_file(path, max_age=0)


def build_missing_report(run_id: str) -> Path | None:
    """The path of ``run_id``'s report.html, built now unless another request built it while
    this one waited for the lock; None when there is no such run or it has no model."""
    state = web_state()
    run = state.shelf.run(run_id)
    if run is None or not run.has_model:
        return None
    # imported here: the report's figures need matplotlib (about 0.4 s to import), and only
    # a report build does
    from telar.app.report.html import build_report

    with state.report_lock:
        try:
            if not RunFolder(run.path).report_path.is_file():
                build_report(run.path)
        except TelarError as exc:
            raise AppError(409, f"cannot build the report of {run_id}: {exc}") from None
    return state.shelf.file(f"{run_id}/{RunFolder.REPORT}")


@web.get("/healthz")
def healthz() -> Response:
    return jsonify({"ok": True, "runs": len(web_state().shelf.runs())})
