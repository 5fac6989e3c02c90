"""Materialising a route's runs: DST, idempotence, exceptions, restamping after a new order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.routes.models import RouteException, RouteRun, RunStop
from marketplace.routes.runs import materialise_every_route, materialise_runs, restamp_future_runs
from tests.factories import (
    BeneficiaryFactory,
    PreOrderFactory,
    RouteFactory,
    RouteStopFactory,
)

# Before the spring change (29 March 2026) and the autumn one (25 October 2026).
MARCH_TODAY = date(2026, 3, 16)
OCTOBER_TODAY = date(2026, 10, 12)
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def weekly_route(**kwargs):
    route = RouteFactory(valid_from=date(2026, 1, 6), departs_at=time(8, 0), **kwargs)
    RouteStopFactory(route=route, position=1, arrives_at=time(9, 0), departs_at=time(9, 30))
    RouteStopFactory(route=route, position=2, arrives_at=time(10, 0), departs_at=time(10, 45))
    db.session.flush()
    return route


def runs_of(route) -> list[RouteRun]:
    return list(
        db.session.scalars(
            select(RouteRun).where(RouteRun.route_id == route.id).order_by(RouteRun.day)
        )
    )


def test_a_nine_oclock_stop_stays_nine_local_across_the_march_change():
    route = weekly_route()
    created = materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    assert created == 3  # 17, 24 and 31 March
    runs = runs_of(route)
    assert [run.day for run in runs] == [date(2026, 3, 17), date(2026, 3, 24), date(2026, 3, 31)]
    first_stops = [stop.arrives_at for stop in runs[1].stops]
    assert first_stops[0] == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)  # 9:00 winter time
    assert runs[2].stops[0].arrives_at == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)  # summer
    assert runs[2].departs_at == datetime(2026, 3, 31, 6, 0, tzinfo=UTC)
    assert runs[2].stops[1].departs_at == datetime(2026, 3, 31, 8, 45, tzinfo=UTC)


def test_a_nine_oclock_stop_stays_nine_local_across_the_october_change():
    route = weekly_route()
    materialise_runs(route, date(2026, 11, 1), today=OCTOBER_TODAY, now=EARLY)
    by_day = {run.day: run for run in runs_of(route)}
    assert by_day[date(2026, 10, 20)].stops[0].arrives_at == datetime(
        2026, 10, 20, 7, 0, tzinfo=UTC
    )
    assert by_day[date(2026, 10, 27)].stops[0].arrives_at == datetime(
        2026, 10, 27, 8, 0, tzinfo=UTC
    )


def test_materialising_twice_gives_the_same_rows():
    route = weekly_route()
    assert materialise_runs(route, date(2026, 5, 1), today=MARCH_TODAY, now=EARLY) == 7
    rows = db.session.execute(select(RunStop.id, RunStop.arrives_at).order_by(RunStop.id)).all()
    assert materialise_runs(route, date(2026, 5, 1), today=MARCH_TODAY, now=EARLY) == 0
    assert (
        db.session.execute(select(RunStop.id, RunStop.arrives_at).order_by(RunStop.id)).all()
        == rows
    )
    assert db.session.scalar(select(func.count(RouteRun.id))) == 7


def test_a_cancelled_and_a_moved_occurrence():
    route = weekly_route()
    db.session.add_all(
        [
            RouteException(
                route_id=route.id,
                occurrence_date=date(2026, 3, 24),
                kind="cancelled",
                reason="Camion en panne",
            ),
            RouteException(
                route_id=route.id,
                occurrence_date=date(2026, 3, 31),
                kind="moved",
                moved_to=date(2026, 4, 1),
            ),
        ]
    )
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    runs = {run.occurrence_date: run for run in runs_of(route)}
    assert runs[date(2026, 3, 24)].status == "cancelled"
    assert runs[date(2026, 3, 24)].note == "Camion en panne"
    moved = runs[date(2026, 3, 31)]
    assert (moved.day, moved.status) == (date(2026, 4, 1), "scheduled")
    assert moved.stops[0].arrives_at == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)


def test_an_exception_added_later_updates_the_coming_run_and_its_removal_restores_it():
    route = weekly_route()
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    exception = RouteException(
        route_id=route.id,
        occurrence_date=date(2026, 3, 24),
        kind="moved",
        moved_to=date(2026, 3, 26),
    )
    db.session.add(exception)
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    run = next(run for run in runs_of(route) if run.occurrence_date == date(2026, 3, 24))
    assert run.day == date(2026, 3, 26)
    assert run.stops[0].arrives_at == datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    db.session.delete(exception)
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    db.session.refresh(run)
    assert run.day == date(2026, 3, 24)
    assert run.stops[0].arrives_at == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)


def test_past_runs_are_never_rewritten():
    route = weekly_route()
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    db.session.add(
        RouteException(route_id=route.id, occurrence_date=date(2026, 3, 17), kind="cancelled")
    )
    route.rrule = "FREQ=WEEKLY;BYDAY=WE"
    materialise_runs(
        route, date(2026, 4, 5), today=date(2026, 3, 20), now=datetime(2026, 3, 20, tzinfo=UTC)
    )
    past = next(run for run in runs_of(route) if run.occurrence_date == date(2026, 3, 17))
    assert past.status == "scheduled"
    coming = [run for run in runs_of(route) if run.day == date(2026, 3, 24)][0]
    assert coming.status == "cancelled"  # no longer a Tuesday route
    assert coming.note == "Cette date ne fait plus partie de la tournée."


def test_validity_limits_the_runs_and_a_suspended_route_cancels_its_coming_runs():
    route = weekly_route(valid_until=date(2026, 3, 25))
    materialise_runs(route, date(2026, 5, 1), today=MARCH_TODAY, now=EARLY)
    assert [run.day for run in runs_of(route)] == [date(2026, 3, 17), date(2026, 3, 24)]
    route.active = False
    materialise_every_route(date(2026, 5, 1), today=MARCH_TODAY, now=EARLY)
    assert {run.status for run in runs_of(route)} == {"cancelled"}


def test_restamping_rebuilds_future_runs_in_the_new_order_and_leaves_started_ones():
    route = weekly_route()
    materialise_runs(route, date(2026, 4, 5), today=MARCH_TODAY, now=EARLY)
    first, second = route.stops
    beneficiary = BeneficiaryFactory(grocery=route.grocery)
    started_run = runs_of(route)[0]  # 17 March, 8:00
    pre_order = PreOrderFactory(beneficiary=beneficiary, run_stop=runs_of(route)[1].stops[1])
    # The plan puts the second village first, at 9:00, the first one at 10:15.
    first.position, second.position = 3, 1
    db.session.flush()
    first.position = 2
    second.arrives_at, second.departs_at = time(9, 0), time(9, 45)
    first.arrives_at, first.departs_at = time(10, 15), time(10, 45)
    now = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # the 17 March run has left
    assert restamp_future_runs(route, now) == 2
    db.session.expire_all()
    coming = runs_of(route)[1]
    assert [(s.stop_id, s.position) for s in coming.stops] == [(second.id, 1), (first.id, 2)]
    assert coming.stops[0].arrives_at == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)
    assert coming.stops[0].id == pre_order.run_stop_id  # rows kept: pre-orders stay put
    started = db.session.get(RouteRun, started_run.id)
    assert [s.stop_id for s in started.stops] == [first.id, second.id]
