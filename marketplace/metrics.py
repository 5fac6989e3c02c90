"""`GET /metrics` in Prometheus' text format.

Two kinds of figures:
- what this web tier measures itself: each request's latency by endpoint and method, and the
  requests by status. Under gunicorn every worker is its own process: gunicorn.conf.py sets
  `PROMETHEUS_MULTIPROC_DIR` before anything is imported, so each worker writes its samples
  to files there and a scrape adds up every worker's (prometheus-client's multiprocess mode);
  without it (flask run, tests) the figures live in the process.
- what the database knows, read at each scrape, so that every replica reports the same and
  the scheduler (another process, maybe another host) needs no port of its own: job runs and
  failures per job, the last success of each job, failed card payments, the outbox's depth
  and failures.

`METRICS_TOKEN`, when set, must be sent as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import case, func, select, text

from marketplace.extensions import db, limiter
from marketplace.security import public

bp = Blueprint("metrics", __name__)

REQUEST_LATENCY = Histogram(
    "marketplace_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "marketplace_requests",
    "Requests answered, by endpoint and status class.",
    ["endpoint", "status"],
)


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    # Unknown URLs share one label, so that a scan cannot create a series per path.
    name = endpoint or "unmatched"
    REQUEST_LATENCY.labels(name, method).observe(seconds)
    REQUESTS.labels(name, f"{status // 100}xx").inc()


class DatabaseCollector:
    """Figures read from the database at each scrape (a few aggregate queries)."""

    def collect(self):
        from marketplace.scheduler.models import JobRun, RunOutcome

        runs = CounterMetricFamily(
            "marketplace_job_runs", "Attempts of scheduled job periods, by job.", labels=["job"]
        )
        failures = GaugeMetricFamily(
            "marketplace_job_failed_periods",
            "Job periods whose last attempt failed, by job.",
            labels=["job"],
        )
        last_success = GaugeMetricFamily(
            "marketplace_job_last_success_timestamp_seconds",
            "When each job last finished a period successfully.",
            labels=["job"],
        )
        failed = func.sum(case((JobRun.outcome == RunOutcome.FAILED.value, 1), else_=0))
        rows = db.session.execute(
            select(
                JobRun.job_name,
                func.sum(JobRun.attempts),
                failed,
                func.max(JobRun.finished_at).filter(JobRun.outcome == RunOutcome.SUCCEEDED.value),
            ).group_by(JobRun.job_name)
        ).all()
        for name, attempts, failed_count, succeeded_at in rows:
            runs.add_metric([name], attempts or 0)
            failures.add_metric([name], failed_count or 0)
            if succeeded_at is not None:
                last_success.add_metric([name], succeeded_at.timestamp())
        yield runs
        yield failures
        yield last_success
        payment_errors = db.session.execute(
            text("SELECT count(*) FROM card_payments WHERE state = 'failed'")
        ).scalar_one()
        errors = CounterMetricFamily(
            "marketplace_card_payment_failures", "Card and SEPA payments that failed."
        )
        errors.add_metric([], payment_errors)
        yield errors
        yield from self._outbox()

    def _outbox(self):
        """The outbox's depth and failures: every status but `sent` (which only grows)."""
        from marketplace.outbox.models import OutboxMessage, OutboxStatus

        messages = GaugeMetricFamily(
            "marketplace_outbox_messages",
            "Emails in the outbox by status: queued or being sent (the depth), failed after "
            "every attempt, bounced.",
            labels=["status"],
        )
        counted = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status != OutboxStatus.SENT.value)
                .group_by(OutboxMessage.status)
            ).all()
        )
        for status in OutboxStatus:
            if status is not OutboxStatus.SENT:
                messages.add_metric([status.value], counted.get(status.value, 0))
        yield messages
        oldest = db.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.QUEUED.value
            )
        )
        age = GaugeMetricFamily(
            "marketplace_outbox_oldest_queued_timestamp_seconds",
            "When the oldest email still waiting in the outbox was queued (absent: none).",
        )
        if oldest is not None:
            age.add_metric([], oldest.timestamp())
        yield age


def exposition() -> bytes:
    """This process's (or every gunicorn worker's) figures, then the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        own = generate_latest(workers)
    else:
        own = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    try:
        from_database = generate_latest(database)
    except Exception:  # the page still answers when the database does not
        db.session.rollback()
        current_app.logger.exception("Metrics: the database figures could not be read")
        from_database = b""
    return own + from_database


@bp.get("/metrics")
@public
@limiter.exempt
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            abort(401)
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
