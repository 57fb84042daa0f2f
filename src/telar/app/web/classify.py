"""One upload classified: the image from the form, the model asked for, the answer.

:func:`classify` reads the current request and returns what ``POST /api/predict`` answers
as JSON (``POST /predict`` renders the same dict as a page). The checks run in this order,
and the first that fails is the answer: an image in the request (400), its bytes, type and
pixels (:func:`~telar.app.web.uploads.check_upload`: 400, 413, 415), a trained model (404),
the model asked for (404), the image prepared (400), the model loaded (500), the prepared
image 28×28 (500).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import numpy as np
from flask import request
from werkzeug.datastructures import FileStorage

from telar.app.report.predictions import probabilities_of
from telar.app.web import render
from telar.app.web.errors import AppError
from telar.app.web.hooks import PrepareImage
from telar.app.web.shelf import RunEntry, Shelf
from telar.app.web.state import LARGE_PIXELS, web_state
from telar.app.web.uploads import check_upload
from telar.errors import TelarError


def classify() -> dict[str, Any]:
    """``{"run", "file", "class", "class_index", "probability", "probabilities": [{"class",
    "p"}], "input_png", "saliency_png"}`` for the request's image and model (the newest model
    when the form names none); :class:`AppError` or ``UploadError`` when a check fails."""
    state = web_state()
    upload = uploaded_file()
    data = upload.stream.read(state.max_bytes + 1)  # one byte past the limit tells it is over
    name = upload.filename or "the upload"
    _, (width, height) = check_upload(data, name, max_bytes=state.max_bytes, decode=False)
    # a large picture waits for one of a few decode slots: memory does not grow with threads
    with state.large_decodes if width * height > LARGE_PIXELS else contextlib.nullcontext():
        check_upload(data, name, max_bytes=state.max_bytes)
        run = chosen_run(state.shelf, request.form.get("model"))
        image = prepared_image(state.prepare_image, data, name)
    predictor, lock = loaded_model(state.shelf, run)
    if image.shape != (28, 28):
        raise AppError(500, f"image preparation gave shape {image.shape}, not (28, 28)")
    with lock:  # a network may reuse its buffers between calls: one request at a time
        probs = probabilities_of(predictor, image[None])[0]
        best = int(probs.argmax())
        saliency = state.saliency(predictor, image, best)
    names = [str(c) for c in predictor.class_names]
    return {"run": run.id, "file": name, **scores(names, probs, best, image, saliency)}


def uploaded_file() -> FileStorage:
    """The request's image: the form field ``image``, else ``camera`` (the phone camera's
    input), else the first file field that has a file name.

    A file input left empty arrives as a part without a file name; such a FileStorage is false,
    so an empty ``image`` beside a chosen ``camera`` picks the camera's picture.
    """
    upload = request.files.get("image") or request.files.get("camera")
    if upload is None or not upload.filename and not upload.content_length:
        upload = next((f for f in request.files.values() if f.filename), upload)
    if upload is None:
        raise AppError(400, "no image in the request (send it as the form field 'image')")
    return upload


def chosen_run(shelf: Shelf, wanted: str | None) -> RunEntry:
    """The run with a model called ``wanted``, or the newest such run when ``wanted`` is empty."""
    runs = shelf.model_runs()
    if not runs:
        raise AppError(404, f"no trained model under {shelf.root} (train one with "
                            f"`telar train --out {shelf.root}/NAME`)")
    wanted = wanted or runs[0].id
    run = next((r for r in runs if r.id == wanted), None)
    if run is None:
        raise AppError(404, f"no model called {wanted!r} under the runs folder")
    return run


def prepared_image(prepare: PrepareImage, data: bytes, name: str) -> np.ndarray:
    """``prepare(data)`` as uint8; a hook that refuses the picture is a 400 naming the file."""
    try:
        return np.asarray(prepare(data), dtype=np.uint8)
    except (TelarError, OSError, ValueError) as exc:
        raise AppError(400, f"{name}: cannot prepare the image ({exc})") from None


def loaded_model(shelf: Shelf, run: RunEntry) -> tuple[Any, threading.Lock]:
    """``(predictor, its lock)`` for ``run``; a model file that cannot be loaded is a 500."""
    try:
        return shelf.predictor(run)
    except TelarError as exc:
        raise AppError(500, f"cannot load the model of {run.id}: {exc}") from None


def scores(names: list[str], probs: np.ndarray, best: int, image: np.ndarray,
           saliency: np.ndarray) -> dict[str, Any]:
    """The answer's class part: the best class, every class's probability, and the input and
    its saliency map as PNG data URIs."""
    return {"class": names[best], "class_index": best, "probability": float(probs[best]),
            "probabilities": [{"class": c, "p": float(p)}
                              for c, p in zip(names, probs, strict=True)],
            "input_png": render.data_uri(render.input_png(image)),
            "saliency_png": render.data_uri(render.saliency_png(image, saliency))}
