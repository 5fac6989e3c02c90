"""Logs an operator can search: one JSON object per line, each request's lines under its id.

Every request gets an id: the `X-Request-Id` the proxy or load balancer sent, when it looks
like an id (letters, digits, `.`, `_`, `:`, `-`; at most 128), else a new one. It is sent back
in the response's `X-Request-Id` and added to every log line written while the request runs,
and each request ends with one line saying what was asked, how it ended and how long it took.

`logging_config("json")` is the configuration the production server (gunicorn.conf.py) and
the scheduler (`LOG_FORMAT=json`) install; "text" keeps the readable lines of development.
Nothing here configures logging on import: the tests and `flask run` keep their defaults.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]

request_logger = logging.getLogger("marketplace.requests")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is sane, else a fresh one (never anything to break a log line)."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


def logging_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the app's loggers and gunicorn's, to standard error."""
    formatter: dict[str, Any]
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "main",
        "filters": ["request_id"],
    }
    quiet = {"level": level, "handlers": ["main"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"level": level, "handlers": ["main"]},
        "loggers": {
            "gunicorn.error": quiet,
            "alembic": {**quiet, "level": "WARNING"},
            # The app writes one line per request with its id: gunicorn's own is not needed.
            "gunicorn.access": {**quiet, "level": "WARNING"},
            # fpdf2's font subsetting writes a dozen lines for every PDF issued.
            "fontTools": {**quiet, "level": "WARNING"},
        },
    }


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = getattr(g, "request_started", None)
        if started is not None:
            elapsed = time.perf_counter() - started
            from marketplace import metrics

            metrics.observe_request(request.endpoint, request.method, response.status_code, elapsed)
            if request_logger.isEnabledFor(logging.INFO):
                request_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "endpoint": request.endpoint,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
        return response
