"""Domain errors raised by services, and the error pages shown to people."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException

from marketplace.extensions import db


class DomainError(Exception):
    """A business rule refused the operation; the message is already translated for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


UNROUTED_HOOKS = "unrouted_request_hooks"


def on_unrouted_request(app: Flask, hook) -> None:
    """`hook()` is asked first when a request found no route (a 404 from routing): it returns
    an answer (a redirect from an old address: legacy_paths.py) or None for the 404 page."""
    app.extensions.setdefault(UNROUTED_HOOKS, []).append(hook)


def http_error(error: HTTPException):
    if error.code == 404 and request.url_rule is None and request_ctx.url_adapter is not None:
        for hook in current_app.extensions.get(UNROUTED_HOOKS, ()):
            answer = hook()
            if answer is not None:
                return answer
    if request_ctx.url_adapter is None:
        # The request was refused before routing (a Host the site does not answer to): no
        # page of ours can be built for it, werkzeug's plain one is enough.
        return error
    if _wants_json():
        # The shape the API describes for every error (flask-smorest's error schema).
        body = {"code": error.code, "status": error.name, "message": error.description}
        return jsonify(body), error.code
    return render_template("errors/error.html", error=error), error.code


class ValueOutOfBounds(BadRequest):
    """A value the database cannot hold reached it (the last guard behind the forms' bounds)."""

    description = "A value sent is out of the accepted bounds."


def _out_of_bounds(error: Exception):
    """An integer beyond a column's range (SQLite: OverflowError; PostgreSQL: DataError), a
    text too long for its column or holding NUL: the request is refused and nothing kept."""
    db.session.rollback()
    current_app.logger.warning("Value out of bounds refused: %s", error)
    return http_error(ValueOutOfBounds())


def _refuse_nul_characters():
    """No NUL character in a query string or a form, whatever the page (PostgreSQL cannot
    store one; nobody types one)."""
    sources = [request.args]
    if request.mimetype in FORM_MIMETYPES:
        sources.append(request.form)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise ValueOutOfBounds()


FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OverflowError, _out_of_bounds)
    app.register_error_handler(DataError, _out_of_bounds)
    app.before_request(_refuse_nul_characters)
