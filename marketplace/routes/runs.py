"""Dated runs of a route: materialising its recurrence into rows, and restamping their stops.

Materialisation is idempotent and safe from a request and the nightly job at once: runs are
inserted with ON CONFLICT DO NOTHING on (route, occurrence date), coming runs are brought in
line with the route's exceptions, and runs never get deleted (pre-orders hang on their stops).
Runs that have started (their departure has passed) never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from marketplace.db import utcnow
from marketplace.delivery.recurrence import is_occurrence, occurrences_between
from marketplace.extensions import db
from marketplace.routes.models import (
    Route,
    RouteException,
    RouteExceptionKind,
    RouteRun,
    RouteStop,
    RunStatus,
    RunStop,
)
from marketplace.timezones import local_instant, paris_today

HORIZON_WEEKS = 8  # default for ROUTE_HORIZON_WEEKS
MAX_NOTE = 200

# Notes stored on runs the timetable cancels by itself: in French, with their kind
# (routes.run_notes) so that they read in the reader's language; staff's reasons read as typed.
NOTE_CANCELLED = "Tournée annulée."
NOTE_NOT_IN_TIMETABLE = "Cette date ne fait plus partie de la tournée."
NOTE_ROUTE_SUSPENDED = "Tournée suspendue."


@dataclass(frozen=True)
class _Target:
    """What a run should look like: the day it happens, its status and note."""

    day: date
    status: str
    note: str
    note_key: str | None = None


def _target(occurrence_date: date, exception: RouteException | None) -> _Target:
    if exception is None:
        return _Target(occurrence_date, RunStatus.SCHEDULED.value, "")
    if exception.kind == RouteExceptionKind.CANCELLED:
        if not exception.reason:
            return _Target(occurrence_date, RunStatus.CANCELLED.value, NOTE_CANCELLED, "cancelled")
        return _Target(occurrence_date, RunStatus.CANCELLED.value, exception.reason[:MAX_NOTE])
    day = exception.moved_to or occurrence_date
    return _Target(day, RunStatus.SCHEDULED.value, exception.reason[:MAX_NOTE])


def stop_instants(day: date, arrives: time, departs: time) -> tuple[datetime, datetime]:
    """UTC instants of a stop's Paris times on `day` (a time in the spring DST gap moves on)."""
    arrives_at = local_instant(day, arrives)
    return arrives_at, max(local_instant(day, departs), arrives_at)


def expected_runs(
    route: Route, exceptions: dict[date, RouteException], first: date, last: date
) -> dict[date, _Target]:
    """Occurrences whose rule date or real date falls from `first` to `last`, by rule date."""
    if not route.active:
        return {}
    last = min(last, route.valid_until) if route.valid_until else last
    first = max(first, route.valid_from)
    if last < first:
        return {}
    dates = set(occurrences_between(route.rrule, route.valid_from, first, last))
    for exception in exceptions.values():
        moved_in = exception.moved_to is not None and first <= exception.moved_to <= last
        if (
            moved_in
            and exception.occurrence_date not in dates
            and route.valid_from <= exception.occurrence_date
            and (route.valid_until is None or exception.occurrence_date <= route.valid_until)
            and is_occurrence(route.rrule, route.valid_from, exception.occurrence_date)
        ):
            dates.add(exception.occurrence_date)
    return {day: _target(day, exceptions.get(day)) for day in sorted(dates)}


def _insert_runs(values: list[dict]) -> int:
    """Insert runs, skipping any another process inserted meanwhile; the count inserted."""
    if not values:
        return 0
    dialect = db.session.get_bind().dialect.name
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    db.session.flush()
    if dialect_insert is None:
        db.session.add_all(RouteRun(**row) for row in values)
        db.session.flush()
        return len(values)
    inserted = 0
    for start in range(0, len(values), 500):
        statement = (
            dialect_insert(RouteRun)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=["route_id", "occurrence_date"])
            .returning(RouteRun.id)
        )
        inserted += len(db.session.execute(statement).all())
    return inserted


def materialise_runs(
    route: Route, until: date, *, today: date | None = None, now: datetime | None = None
) -> int:
    """Bring the route's runs up to `until` in line with its rule and exceptions.

    Inserts missing runs, cancels or moves coming runs after an exception (and restores them
    when it is removed), cancels coming runs the rule no longer gives, then restamps the
    stops of every run not yet started. Returns the number of runs inserted; running it
    again inserts nothing and changes nothing.
    """
    now = now or utcnow()
    today = today or paris_today(now)
    db.session.flush()
    exceptions = {
        exception.occurrence_date: exception
        for exception in db.session.scalars(
            select(RouteException).where(RouteException.route_id == route.id)
        )
    }
    coming = db.session.scalars(
        select(RouteRun).where(
            RouteRun.route_id == route.id,
            or_(RouteRun.day >= today, RouteRun.occurrence_date >= today),
        )
    ).all()
    # Look as far as the furthest existing run, so none is wrongly taken for an orphan.
    scan_until = max([until, *(run.occurrence_date for run in coming)])
    expected = {
        occurrence_date: target
        for occurrence_date, target in expected_runs(route, exceptions, today, scan_until).items()
        if target.day >= today
    }
    orphan_note, orphan_key = (
        (NOTE_NOT_IN_TIMETABLE, "not_in_timetable")
        if route.active
        else (NOTE_ROUTE_SUSPENDED, "route_suspended")
    )
    for run in coming:
        if run.departs_at <= now or run.day < today:
            continue  # started or past: never rewritten
        target = expected.get(run.occurrence_date)
        if target is None:
            if run.status != RunStatus.CANCELLED:
                run.status, run.note = RunStatus.CANCELLED.value, orphan_note
                run.note_key = orphan_key
            continue
        wanted = (target.day, target.status, target.note, target.note_key)
        if (run.day, run.status, run.note, run.note_key) != wanted:
            run.day, run.status, run.note, run.note_key = wanted
            run.departs_at = local_instant(target.day, route.departs_at)
    known = {run.occurrence_date for run in coming}
    created_at = utcnow()
    to_insert = [
        {
            "route_id": route.id,
            "occurrence_date": occurrence_date,
            "day": target.day,
            "departs_at": local_instant(target.day, route.departs_at),
            "status": target.status,
            "note": target.note,
            "note_key": target.note_key,
            "created_at": created_at,
        }
        for occurrence_date, target in expected.items()
        if occurrence_date not in known and occurrence_date <= until
    ]
    inserted = _insert_runs(to_insert)
    restamp_future_runs(route, now)
    return inserted


def _sync_stops(run: RouteRun, stops: list[RouteStop]) -> None:
    """Make the run's stops those of the route, in its order and at its times on run.day."""
    existing = {run_stop.stop_id: run_stop for run_stop in run.stops}
    for position, stop in enumerate(stops, start=1):
        arrives_at, departs_at = stop_instants(run.day, stop.arrives_at, stop.departs_at)
        run_stop = existing.pop(stop.id, None)
        if run_stop is None:
            run.stops.append(
                RunStop(
                    stop_id=stop.id,
                    position=position,
                    arrives_at=arrives_at,
                    departs_at=departs_at,
                )
            )
            continue
        if (run_stop.position, run_stop.arrives_at, run_stop.departs_at) != (
            position,
            arrives_at,
            departs_at,
        ):
            run_stop.position = position
            run_stop.arrives_at, run_stop.departs_at = arrives_at, departs_at
    for run_stop in existing.values():
        # A stop taken off the route or retired (the service checked nothing hangs on it).
        run.stops.remove(run_stop)
    run.stops.sort(key=lambda run_stop: run_stop.position)  # as a fresh load would order them


def restamp_future_runs(route: Route, now: datetime) -> int:
    """Rebuild the stops of the route's scheduled runs not started at `now`.

    Called after the stop order or times change (a plan accepted, a stop edited): each such
    run gets the route's stops in their new order and times, and its departure from the
    route's departure time. Runs already started are left as they were. Returns the number
    of runs looked at.
    """
    db.session.flush()
    stops = db.session.scalars(
        select(RouteStop)
        .where(RouteStop.route_id == route.id, RouteStop.retired_at.is_(None))
        .order_by(RouteStop.position)
    ).all()
    runs = db.session.scalars(
        select(RouteRun)
        .where(
            RouteRun.route_id == route.id,
            RouteRun.status == RunStatus.SCHEDULED.value,
            RouteRun.departs_at > now,
        )
        .options(selectinload(RouteRun.stops))
    ).all()
    for run in runs:
        departs_at = local_instant(run.day, route.departs_at)
        if run.departs_at != departs_at:
            run.departs_at = departs_at
        _sync_stops(run, list(stops))
    db.session.flush()
    return len(runs)


def horizon(today: date, weeks: int = HORIZON_WEEKS) -> date:
    return today + timedelta(weeks=weeks)


def materialise_every_route(
    until: date, *, today: date | None = None, now: datetime | None = None
) -> tuple[int, int]:
    """Materialise each active route, and cancel the coming runs of suspended ones.

    Returns (routes looked at, runs inserted).
    """
    now = now or utcnow()
    today = today or paris_today(now)
    has_coming_run = (
        select(RouteRun.id)
        .where(
            RouteRun.route_id == Route.id,
            RouteRun.day >= today,
            RouteRun.status == RunStatus.SCHEDULED.value,
        )
        .exists()
        .correlate(Route)
    )
    routes = db.session.scalars(
        select(Route).where(or_(Route.active.is_(True), has_coming_run)).order_by(Route.id)
    ).all()
    inserted = sum(materialise_runs(route, until, today=today, now=now) for route in routes)
    return len(routes), inserted
