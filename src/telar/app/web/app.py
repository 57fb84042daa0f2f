"""The Flask app behind ``telar serve``: classify an uploaded image, list runs, serve reports.

Routes:

* ``GET /``: pick a model, upload, drop or photograph an image; ``POST /predict`` answers the
  plain form with a page, ``POST /api/predict`` answers the page's script with JSON:
  ``{"run", "file", "class", "class_index", "probability", "probabilities": [{"class", "p"}],
  "input_png", "saliency_png"}`` (the two PNGs as data URIs).
* ``GET /runs``: every run with its summary and a link to its report.
* ``GET /runs/<path>``: a file inside the runs folder (``report.html`` is built on first
  request if the run has a model). Nothing outside the runs folder is ever served.
* ``GET /healthz``: ``{"ok": true, "runs": N}``.

Bad uploads answer 400 (empty, damaged), 413 (too many bytes or pixels) or 415 (not an
accepted image type), with a message; JSON under ``/api/``, a page elsewhere.

The views are in :mod:`~telar.app.web.routes` (classifying an upload in
:mod:`~telar.app.web.classify`), the error answers in :mod:`~telar.app.web.errors`, and what
they share in :mod:`~telar.app.web.state`; this module assembles them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response

from telar.app.web.errors import AppError, register_error_handlers
from telar.app.web.hooks import PrepareImage, Saliency, prepare_upload, saliency_map
from telar.app.web.routes import web
from telar.app.web.shelf import Shelf
from telar.app.web.state import EXTENSION, WebState
from telar.app.web.uploads import MAX_BYTES

__all__ = ["AppError", "FORM_ROOM", "SECURITY_HEADERS", "add_security_headers", "create_app"]

#: Bytes a request may carry beyond ``max_bytes``: room for the form's other fields.
FORM_ROOM = 64 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; "
                               "frame-ancestors 'self'",
}


def create_app(runs_dir: str | Path, *, prepare_image: PrepareImage | None = None,
               saliency: Saliency | None = None, max_bytes: int = MAX_BYTES,
               on: Any = None) -> Flask:
    """The app serving the runs under ``runs_dir``.

    ``prepare_image(bytes) -> uint8 (28, 28)`` and ``saliency(predictor, image, class) ->
    (28, 28) in [0, 1]`` default to telar's own (:mod:`telar.app.web.hooks`). ``on``: the
    device the models run on (default the CPU; ``telar serve --device``).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_bytes + FORM_ROOM
    app.extensions[EXTENSION] = WebState(shelf=Shelf(runs_dir, on=on),
                                         prepare_image=prepare_image or prepare_upload,
                                         saliency=saliency or saliency_map, max_bytes=max_bytes)
    app.register_blueprint(web)
    register_error_handlers(app)
    app.after_request(add_security_headers)
    return app


def add_security_headers(response: Response) -> Response:
    """SECURITY_HEADERS on every answer, error pages included; a header the view set wins."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response
