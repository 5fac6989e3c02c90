"""A fresh job registry per test, so these tests never depend on the real jobs."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.scheduler.models import JobRun
from marketplace.scheduler.registry import JobRegistry

# 13:00 in Paris on a winter Monday, well after a 03:00 daily job fell due.
NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


def recorded_runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).order_by(JobRun.job_name, JobRun.period_key)))
