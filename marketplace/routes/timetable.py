"""Reading timetables: a route's or a stop's coming runs, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStatus, RunStop


@dataclass(frozen=True)
class StopVisit:
    """A run as seen from one stop: the run, and the stop's times on it (None if cancelled)."""

    run: RouteRun
    run_stop: RunStop | None

    @property
    def cancelled(self) -> bool:
        return self.run.status == RunStatus.CANCELLED


def active_routes_of(grocery: Grocery) -> list[Route]:
    return list(
        db.session.scalars(
            select(Route)
            .where(Route.grocery_id == grocery.id, Route.active.is_(True))
            .options(selectinload(Route.stops))
            .order_by(Route.name)
        )
    )


def route_by_slug(slug: str) -> Route | None:
    return db.session.scalar(
        select(Route)
        .where(Route.slug == slug)
        .options(joinedload(Route.grocery), selectinload(Route.stops))
    )


def stop_by_slug(slug: str) -> RouteStop | None:
    return db.session.scalar(
        select(RouteStop)
        .where(RouteStop.slug == slug)
        .options(joinedload(RouteStop.route).joinedload(Route.grocery))
    )


def route_runs(
    route: Route, first_day: date, *, limit: int | None = None, with_stops: bool = True
) -> list[RouteRun]:
    """The route's runs from `first_day` (cancelled ones too), by day, stops loaded."""
    query = (
        select(RouteRun)
        .where(RouteRun.route_id == route.id, RouteRun.day >= first_day)
        .order_by(RouteRun.day, RouteRun.id)
    )
    if with_stops:
        query = query.options(selectinload(RouteRun.stops))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def stop_visits(stop: RouteStop, first_day: date, *, limit: int | None = None) -> list[StopVisit]:
    """The runs of the stop's route from `first_day`, each with the stop's times, one query.

    A scheduled run that does not call at the stop (it left before the stop was added) is
    left out; a cancelled run is kept, so villagers know the van will not come. A retired
    stop only has the runs that called there: the coming ones no longer concern it.
    """
    retired = stop.retired_at is not None
    query = (
        select(RouteRun, RunStop)
        .outerjoin(RunStop, and_(RunStop.run_id == RouteRun.id, RunStop.stop_id == stop.id))
        .where(RouteRun.route_id == stop.route_id, RouteRun.day >= first_day)
        .order_by(RouteRun.day, RouteRun.id)
    )
    visits = []
    for run, run_stop in db.session.execute(query):
        if run.status == RunStatus.CANCELLED:
            if not retired:
                visits.append(StopVisit(run, None))
        elif run_stop is not None:
            visits.append(StopVisit(run, run_stop))
        if limit is not None and len(visits) >= limit:
            break
    return visits
