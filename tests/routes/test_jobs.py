"""The nightly job materialising every route's runs: registered, idempotent, catch-up safe."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.routes.jobs import materialise_route_runs
from marketplace.routes.models import RouteRun
from marketplace.scheduler.registry import Daily
from marketplace.timezones import paris_today
from tests.factories import RouteFactory, RouteStopFactory


def test_the_job_is_registered_daily():
    job = load_jobs().jobs["materialise_route_runs"]
    assert isinstance(job.cadence, Daily)
    assert job.catch_up == "latest"


def test_the_job_materialises_active_routes_and_a_second_run_changes_nothing(app):
    # From tomorrow: on a Tuesday after 08:30 today's run would already have left (see
    # test_timetables.route).
    tomorrow = paris_today() + timedelta(days=1)
    active = RouteFactory(valid_from=tomorrow)
    RouteStopFactory(route=active, arrives_at=time(9, 0), departs_at=time(9, 30))
    RouteFactory(active=False, valid_from=tomorrow)
    period = Daily(time(3, 15)).period_of_day(paris_today())
    summary = materialise_route_runs(period)
    assert "date(s) créée(s)" in summary
    runs = db.session.scalar(select(func.count(RouteRun.id)))
    weeks = app.config.get("ROUTE_HORIZON_WEEKS", 8)
    assert runs in (weeks, weeks + 1)
    assert all(run.route_id == active.id for run in db.session.scalars(select(RouteRun)))
    assert all(len(run.stops) == 1 for run in db.session.scalars(select(RouteRun)))
    materialise_route_runs(period)
    # An older missed period caught up late changes nothing either.
    materialise_route_runs(Daily(time(3, 15)).period_of_day(paris_today() - timedelta(days=3)))
    assert db.session.scalar(select(func.count(RouteRun.id))) == runs
