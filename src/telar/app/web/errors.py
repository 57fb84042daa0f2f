"""What the app answers when it refuses a request or fails: ``{"error": message, "status":
code}`` as JSON under ``/api/`` (the page's script reads it), the error page elsewhere.

Refusals (:class:`AppError`, and :class:`~telar.app.web.uploads.UploadError` for bad uploads)
and HTTP errors (404, 405, 413, ...) keep their status; anything else is logged with its
traceback and answered 500 with only the exception's type, never the traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from telar.app.web.state import web_state
from telar.app.web.uploads import UploadError

log = logging.getLogger("telar.app.web")


class AppError(Exception):
    """A request the app refuses: HTTP ``status`` and a message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_response(status: int, message: str) -> ResponseReturnValue:
    """``message`` with ``status``: JSON for a request under ``/api/``, else the error page."""
    if request.path.startswith("/api/"):
        return jsonify({"error": message, "status": status}), status
    return render_template("error.html", status=status, message=message), status


def refused(exc: AppError | UploadError) -> ResponseReturnValue:
    """A refusal: its own status and message."""
    return error_response(exc.status, str(exc))


def http_error(exc: HTTPException) -> ResponseReturnValue:
    """Werkzeug's own message, except for 413: the request cap is ``max_bytes`` plus room for
    the form fields, but the limit the user can act on is ``max_bytes``."""
    message = exc.description or exc.name
    if exc.code == 413:
        message = f"the upload is larger than {web_state().max_bytes:,} bytes"
    return error_response(exc.code or 500, message)


def crashed(exc: Exception) -> ResponseReturnValue:
    """Anything else: the traceback to the server log, a 500 naming only the exception type."""
    log.exception("error serving %s", request.path)
    return error_response(500, f"internal error ({type(exc).__name__}); see the server log")


def register_error_handlers(app: Flask) -> None:
    """Answer every error of ``app`` as above (Flask picks the handler by the exception's
    class, most specific first, so ``crashed`` only sees what the others do not)."""
    app.register_error_handler(AppError, refused)
    app.register_error_handler(UploadError, refused)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, crashed)
