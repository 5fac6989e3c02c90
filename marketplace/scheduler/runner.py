"""Runs registered jobs period by period, each run recorded in `job_runs`.

The row is the lock: a process works on a period only after committing its `running` row
(the UNIQUE (job_name, period_key) turns away a second process), or after re-claiming a
failed or abandoned row with one conditional UPDATE. The job's work and its `succeeded`
outcome are committed together, so a period is either done and recorded, or neither.

Every function here needs an app context; jobs use `db.session`. The runner is a boundary:
it commits, so call it with a session that holds nothing pending.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from marketplace.extensions import db
from marketplace.scheduler.models import JobRun, RunOutcome
from marketplace.scheduler.registry import Job, JobRegistry, Period

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A failed period is retried by a later pass (the hourly retry tick), not in a tight loop.
RETRY_AFTER = timedelta(minutes=15)
# A row still `running` after this long belongs to a process that died: take it over.
STALE_AFTER = timedelta(hours=2)
# Outcome reported when another process holds the period, or it may not be retried yet.
SKIPPED = "skipped"
ERROR_LINES = 8


@dataclass(frozen=True)
class RunReport:
    job_name: str
    period_key: str
    outcome: str  # a RunOutcome value, or SKIPPED
    summary: str = ""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(job_name: str, period_key: str, now: datetime, *, force: bool = False) -> JobRun | None:
    """Take the period for this process, committing at once; None if someone else has it.

    `force` also re-runs a succeeded or exhausted period (jobs are idempotent), but never
    one another process is working on right now.
    """
    run = JobRun(
        job_name=job_name,
        period_key=period_key,
        started_at=now,
        outcome=RunOutcome.RUNNING.value,
        attempts=1,
        worker=worker_name(),
        summary="",
    )
    db.session.add(run)
    try:
        db.session.commit()
        return run
    except IntegrityError:
        db.session.rollback()
    result = db.session.execute(
        update(JobRun)
        .where(
            JobRun.job_name == job_name,
            JobRun.period_key == period_key,
            _reclaimable(now, force),
        )
        .values(
            outcome=RunOutcome.RUNNING.value,
            attempts=JobRun.attempts + 1,
            started_at=now,
            finished_at=None,
            worker=worker_name(),
            summary="",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.scalars(
        select(JobRun).where(JobRun.job_name == job_name, JobRun.period_key == period_key)
    ).one()


def _reclaimable(now: datetime, force: bool) -> ColumnElement[bool]:
    abandoned = and_(
        JobRun.outcome == RunOutcome.RUNNING.value, JobRun.started_at < now - STALE_AFTER
    )
    if force:
        return or_(JobRun.outcome != RunOutcome.RUNNING.value, abandoned)
    retry_due = and_(
        JobRun.outcome == RunOutcome.FAILED.value,
        JobRun.attempts < MAX_ATTEMPTS,
        JobRun.finished_at < now - RETRY_AFTER,
    )
    return or_(retry_due, abandoned)


def run_period(job: Job, period: Period, now: datetime, *, force: bool = False) -> RunReport:
    """Claim the period, run the job, record the outcome; never raises for a job's error."""
    run = claim(job.name, period.key, now, force=force)
    if run is None:
        return RunReport(job.name, period.key, SKIPPED)
    run_id, attempt = run.id, run.attempts
    started = time.monotonic()
    logger.info("Running %s for period %s (attempt %d)", job.name, period.key, attempt)
    try:
        # Outside a request there is no visitor: jobs speak the site's default language
        # unless they choose a person's own with force_locale.
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            summary = job.func(period) or ""
        finished_at = now + timedelta(seconds=time.monotonic() - started)
        if not _finish(run_id, attempt, RunOutcome.SUCCEEDED, finished_at, summary):
            db.session.rollback()
            logger.warning(
                "%s for period %s was taken over by another process; its work is discarded",
                job.name,
                period.key,
            )
            return RunReport(job.name, period.key, SKIPPED)
        db.session.commit()  # the job's work and its outcome, together
    except Exception:  # a job's failure is recorded, never allowed to stop the scheduler
        db.session.rollback()
        error = _last_lines(traceback.format_exc())
        logger.exception("%s failed for period %s", job.name, period.key)
        _record_failure(run_id, attempt, now + timedelta(seconds=time.monotonic() - started), error)
        return RunReport(job.name, period.key, RunOutcome.FAILED.value, error)
    logger.info("%s succeeded for period %s: %s", job.name, period.key, summary)
    return RunReport(job.name, period.key, RunOutcome.SUCCEEDED.value, summary)


def _finish(
    run_id: int, attempt: int, outcome: RunOutcome, finished_at: datetime, summary: str
) -> bool:
    """Close our own claim; False if another process re-claimed the row meanwhile."""
    result = db.session.execute(
        update(JobRun)
        .where(
            JobRun.id == run_id,
            JobRun.attempts == attempt,
            JobRun.outcome == RunOutcome.RUNNING.value,
        )
        .values(outcome=outcome.value, finished_at=finished_at, summary=summary)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record_failure(run_id: int, attempt: int, finished_at: datetime, error: str) -> None:
    try:
        _finish(run_id, attempt, RunOutcome.FAILED, finished_at, error)
        db.session.commit()
    except Exception:  # e.g. the database went away; the row will be reclaimed as stale
        db.session.rollback()
        logger.exception("Could not record the failure of run %d", run_id)


def _last_lines(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-ERROR_LINES:])


def periods_to_run(job: Job, since: datetime, until: datetime) -> list[Period]:
    """The job's due periods in (since, until] not yet done, oldest first (one query)."""
    periods = list(job.cadence.due_periods(since, until))
    if job.catch_up == "latest":
        periods = periods[-1:]
    if not periods:
        return []
    finished = set(
        db.session.scalars(
            select(JobRun.period_key).where(
                JobRun.job_name == job.name,
                JobRun.period_key.in_([period.key for period in periods]),
                or_(
                    JobRun.outcome == RunOutcome.SUCCEEDED.value,
                    and_(
                        JobRun.outcome == RunOutcome.FAILED.value,
                        JobRun.attempts >= MAX_ATTEMPTS,
                    ),
                ),
            )
        )
    )
    return [period for period in periods if period.key not in finished]


def run_due(
    registry: JobRegistry, now: datetime, job_names: Iterable[str] | None = None
) -> list[RunReport]:
    """Run every period due within the catch-up window and not done yet.

    `job_names` limits the pass to some jobs (KeyError for a name not registered).
    A job whose pass cannot even start (database unreachable) is logged and skipped.
    """
    jobs = list(registry) if job_names is None else [registry.get(name) for name in job_names]
    since = now - timedelta(days=current_app.config["SCHEDULER_CATCH_UP_DAYS"])
    clock = _clock_from(now)
    reports: list[RunReport] = []
    for job in jobs:
        try:
            for period in periods_to_run(job, since, now):
                reports.append(run_period(job, period, clock()))
        except Exception:
            db.session.rollback()
            logger.exception("Could not run the due periods of %s", job.name)
    return reports


def _clock_from(now: datetime) -> Callable[[], datetime]:
    """`now` advanced by the real time elapsed, so a long catch-up records true start times
    while tests can still pass any instant."""
    origin = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - origin)
