"""What the app's views share: one :class:`WebState` per app, in ``app.extensions["telar"]``.

Views find it with :func:`web_state` (through Flask's ``current_app``), so the view functions
can be plain module-level functions and one module can serve several apps at once (the tests
build one app per runs folder).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from telar.app.web.hooks import PrepareImage, Saliency
from telar.app.web.shelf import Shelf

#: The key of the app's state in ``app.extensions``.
EXTENSION = "telar"
#: Uploads with more pixels than this are decoded under ``large_decodes``.
LARGE_PIXELS = 2_000_000
#: Large uploads decoded at once.
LARGE_DECODES = 2


@dataclass(frozen=True)
class WebState:
    """One app's runs folder, hooks and limits.

    * ``shelf``: the runs and their loaded models, each model used under its own lock.
    * ``prepare_image``, ``saliency``: the two hooks (:mod:`telar.app.web.hooks`).
    * ``max_bytes``: the largest upload accepted, in bytes.
    * ``report_lock``: held while a missing report.html is built, so that parallel first
      requests build it once instead of each writing the same file at the same time.
    * ``large_decodes``: held while a large upload (over :data:`LARGE_PIXELS`) is decoded: at
      most :data:`LARGE_DECODES` at once whatever ``--threads`` says, so the memory uploads
      take does not grow with the number of threads (a 40-megapixel PNG decodes to 120 MB).
    """

    shelf: Shelf
    prepare_image: PrepareImage
    saliency: Saliency
    max_bytes: int
    report_lock: threading.Lock = field(default_factory=threading.Lock)
    large_decodes: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(LARGE_DECODES))


def web_state() -> WebState:
    """The state of the app serving the current request."""
    return current_app.extensions[EXTENSION]
