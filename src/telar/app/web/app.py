"""The Flask app behind ``telar serve``: classify an uploaded image, list runs, serve reports.

Routes:

* ``GET /``: pick a model, upload, drop or photograph an image; ``POST /predict`` answers the
  plain form with a page, ``POST /api/predict`` answers the page's script with JSON:
  ``{"run", "class", "class_index", "probability", "probabilities": [{"class", "p"}],
  "input_png", "saliency_png"}`` (the two PNGs as data URIs).
* ``GET /runs``: every run with its summary and a link to its report.
* ``GET /runs/<path>``: a file inside the runs folder (``report.html`` is built on first
  request if the run has a model). Nothing outside the runs folder is ever served.

Bad uploads answer 400 (empty, damaged), 413 (too many bytes or pixels) or 415 (not an
accepted image type), with a message; JSON under ``/api/``, a page elsewhere.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask, jsonify, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from telar.app.web import render
from telar.app.web.hooks import PrepareImage, Saliency, prepare_upload, saliency_map
from telar.app.web.shelf import RunEntry, Shelf
from telar.app.web.uploads import MAX_BYTES, UploadError, check_upload
from telar.errors import TelarError

log = logging.getLogger("telar.app.web")

SUMMARY_FIELDS = ("test_accuracy", "test_loss", "epochs", "parameters", "preset", "engine",
                  "train_seconds")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; "
                               "frame-ancestors 'self'",
}


class AppError(Exception):
    """A request the app refuses: HTTP ``status`` and a message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(runs_dir: str | Path, *, prepare_image: PrepareImage | None = None,
               saliency: Saliency | None = None, max_bytes: int = MAX_BYTES) -> Flask:
    """The app serving the runs under ``runs_dir``.

    ``prepare_image(bytes) -> uint8 (28, 28)`` and ``saliency(predictor, image, class) ->
    (28, 28) in [0, 1]`` default to telar's own (:mod:`telar.app.web.hooks`).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_bytes + 64 * 1024  # room for the form fields
    shelf = Shelf(runs_dir)
    prepare = prepare_image or prepare_upload
    explain = saliency or saliency_map
    report_lock = threading.Lock()
    app.extensions["telar"] = {"shelf": shelf}

    def summary_view(run: RunEntry) -> dict[str, str]:
        from telar.app.report.page import format_value
        return {k: format_value(run.summary[k]) for k in SUMMARY_FIELDS if k in run.summary}

    @app.get("/")
    def index() -> str:
        return render_template("index.html", runs=shelf.model_runs(), result=None,
                               max_mb=max_bytes / 2**20)

    def classify() -> dict[str, Any]:
        upload = request.files.get("image") or request.files.get("camera")
        if upload is None or not upload.filename and not upload.content_length:
            upload = next((f for f in request.files.values() if f.filename), upload)
        if upload is None:
            raise AppError(400, "no image in the request (send it as the form field 'image')")
        data = upload.stream.read(max_bytes + 1)
        name = upload.filename or "the upload"
        check_upload(data, name, max_bytes=max_bytes)
        runs = shelf.model_runs()
        if not runs:
            raise AppError(404, f"no trained model under {shelf.root} (train one with "
                                f"`telar train --out {shelf.root}/NAME`)")
        wanted = request.form.get("model") or runs[0].id
        run = next((r for r in runs if r.id == wanted), None)
        if run is None:
            raise AppError(404, f"no model called {wanted!r} under the runs folder")
        try:
            image = np.asarray(prepare(data), dtype=np.uint8)
        except (TelarError, OSError, ValueError) as exc:
            raise AppError(400, f"{name}: cannot prepare the image ({exc})") from None
        try:
            predictor, lock = shelf.predictor(run)
        except TelarError as exc:
            raise AppError(500, f"cannot load the model of {run.id}: {exc}") from None
        if image.shape != (28, 28):
            raise AppError(500, f"image preparation gave shape {image.shape}, not (28, 28)")
        from telar.app.report.predictions import probabilities_of
        with lock:
            probs = probabilities_of(predictor, image[None])[0]
            best = int(probs.argmax())
            sal = explain(predictor, image, best)
        names = [str(c) for c in predictor.class_names]
        return {"run": run.id, "file": name, "class": names[best], "class_index": best,
                "probability": float(probs[best]),
                "probabilities": [{"class": c, "p": float(p)} for c, p in zip(names, probs,
                                                                               strict=True)],
                "input_png": render.data_uri(render.input_png(image)),
                "saliency_png": render.data_uri(render.saliency_png(image, sal))}

    @app.post("/api/predict")
    def api_predict() -> Any:
        return jsonify(classify())

    @app.post("/predict")
    def predict_page() -> str:
        result = classify()
        return render_template("index.html", runs=shelf.model_runs(), result=result,
                               selected=result["run"], max_mb=max_bytes / 2**20)

    @app.get("/runs")
    def runs_page() -> str:
        runs = shelf.runs()
        return render_template("runs.html", runs=runs, root=shelf.root,
                               summaries={r.id: summary_view(r) for r in runs},
                               fields=SUMMARY_FIELDS)

    @app.get("/runs/<path:relative>")
    def run_file(relative: str) -> Any:
        path = shelf.file(relative)
        if path is None and relative.endswith("/report.html"):
            path = build_missing_report(relative.removesuffix("/report.html"))
        if path is None:
            raise AppError(404, f"no file {relative!r} in the runs folder")
        return send_file(path, max_age=0)

    def build_missing_report(run_id: str) -> Path | None:
        run = shelf.run(run_id)
        if run is None or not run.has_model:
            return None
        from telar.app.report.html import build_report
        with report_lock:
            try:
                if not (run.path / "report.html").is_file():
                    build_report(run.path)
            except TelarError as exc:
                raise AppError(409, f"cannot build the report of {run_id}: {exc}") from None
        return shelf.file(f"{run_id}/report.html")

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"ok": True, "runs": len(shelf.runs())})

    @app.after_request
    def headers(response: Any) -> Any:
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    def error_response(status: int, message: str) -> Any:
        if request.path.startswith("/api/"):
            return jsonify({"error": message, "status": status}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(AppError)
    @app.errorhandler(UploadError)
    def refused(exc: AppError | UploadError) -> Any:
        return error_response(exc.status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"the upload is larger than {max_bytes:,} bytes"
        return error_response(exc.code or 500, message)

    @app.errorhandler(Exception)
    def crashed(exc: Exception) -> Any:
        log.exception("error serving %s", request.path)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log")

    return app
