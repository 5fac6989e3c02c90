"""Shared values and helpers of the scheduler tests."""

from datetime import UTC, datetime

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.scheduler.models import JobRun

# 13:00 in Paris on a winter Monday, well after a 03:00 daily job fell due.
NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


def recorded_runs() -> list[JobRun]:
    db.session.expire_all()  # read what the runner committed
    return list(db.session.scalars(select(JobRun).order_by(JobRun.job_name, JobRun.period_key)))
