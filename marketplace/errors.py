"""Domain errors raised by services, and the error pages shown to people."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule refused the operation; the message is already translated for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _http_error(error: HTTPException):
    if request_ctx.url_adapter is None:
        # The request was refused before routing (a Host the site does not answer to): no
        # page of ours can be built for it, werkzeug's plain one is enough.
        return error
    if _wants_json():
        return jsonify(error=error.name, status=error.code), error.code
    return render_template("errors/error.html", error=error), error.code


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
