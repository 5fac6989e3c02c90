"""The nightly job that materialises the distribution days, found through the registry."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from marketplace.delivery.models import DistributionDay
from marketplace.delivery.recurrence import occurrences_between
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.scheduler.registry import Daily, Period
from marketplace.timezones import local_instant, paris_today
from tests import factories


def period_of(day) -> Period:
    return Period(day.isoformat(), local_instant(day, time(3, 0)))


def test_the_job_is_registered_daily_at_3am_catching_up_the_latest_period():
    job = load_jobs().get("materialise_distribution_days")
    assert job.cadence == Daily(time(3, 0))
    assert job.catch_up == "latest"
    assert job.description


def test_the_job_materialises_every_active_rule_up_to_the_horizon_and_is_idempotent(
    app, monkeypatch
):
    monkeypatch.setitem(app.config, "DISTRIBUTION_HORIZON_WEEKS", 3)
    today = paris_today()
    active = factories.DistributionScheduleFactory(starts_on=today - timedelta(days=10))
    suspended = factories.DistributionScheduleFactory(active=False)
    job = load_jobs().get("materialise_distribution_days")

    summary = job.func(period_of(today))

    expected = occurrences_between(
        active.rrule, active.starts_on, today, today + timedelta(weeks=3)
    )
    days = db.session.scalars(select(DistributionDay).order_by(DistributionDay.day)).all()
    assert [day.day for day in days] == expected
    assert {day.schedule_id for day in days} == {active.id}
    assert summary.startswith(f"{len(expected)} distribution(s) créée(s)")
    assert suspended.id not in {day.schedule_id for day in days}

    again = job.func(period_of(today))
    assert again == "0 distribution(s) créée(s), 0 mise(s) à jour, 0 annulée(s)"


def test_a_late_period_still_starts_from_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "DISTRIBUTION_HORIZON_WEEKS", 2)
    today = paris_today()
    schedule = factories.DistributionScheduleFactory(
        starts_on=today - timedelta(days=60), rrule="FREQ=DAILY"
    )
    job = load_jobs().get("materialise_distribution_days")

    job.func(period_of(today - timedelta(days=1)))  # yesterday's run, caught up today

    days = list(db.session.scalars(select(DistributionDay.day)))
    assert min(days) == today  # nothing created in the past
    assert max(days) == today - timedelta(days=1) + timedelta(weeks=2)
    assert schedule.id
