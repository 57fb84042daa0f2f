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


@dataclass(frozen=True)
class WebState:
    """One app's runs folder, hooks and limits.

    * ``shelf``: the runs and their loaded models, each model used under its own lock.
    * ``prepare_image``, ``saliency``: the two hooks (:mod:`telar.app.web.hooks`).
    * ``max_bytes``: the largest upload accepted, in bytes.
    * ``report_lock``: held while a missing report.html is built, so that parallel first
      requests build it once instead of each writing the same file at the same time.
    """

    shelf: Shelf
    prepare_image: PrepareImage
    saliency: Saliency
    max_bytes: int
    report_lock: threading.Lock = field(default_factory=threading.Lock)


def web_state() -> WebState:
    """The state of the app serving the current request."""
    return current_app.extensions[EXTENSION]
