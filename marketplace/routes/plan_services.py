"""Route plans: computing one for a route (stored), reading it back, and accepting it.

A plan that leaves stops unserved cannot be accepted: accepting would silently drop a
village from the timetable. The staff widen a window, move the departure or take the stop off
the route (on the route's own screens), then optimise again. A plan computed before the route
changed (a stop added, moved, its window or duration edited, the departure moved) cannot be
accepted either: each stop's inputs are fingerprinted in the plan and compared on acceptance.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.routes.models import Route, RoutePlan, RouteStop
from marketplace.routes.planning import PlanStop, describe_unserved, plan
from marketplace.routes.routes import StopTime, set_timetable
from marketplace.routes.travel import Point, TravelModel

RECENT_PLANS = 5


def _fingerprint(route: Route, stop: RouteStop) -> str:
    """What the plan of this stop depends on; any change makes the plan stale."""
    inputs = (
        route.departs_at.isoformat(),
        route.depot.latitude,
        route.depot.longitude,
        stop.latitude,
        stop.longitude,
        stop.service_minutes,
        stop.window_opens.isoformat() if stop.window_opens else "",
        stop.window_closes.isoformat() if stop.window_closes else "",
    )
    return hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]


def compute_route_plan(
    route: Route, created_by: User | None, time_budget_seconds: int, travel: TravelModel
) -> RoutePlan:
    """Run the solver on the route's stops and store its plan (not accepted yet)."""
    stops = list(route.stops)
    result = plan(
        depot=Point(route.depot.latitude, route.depot.longitude),
        stops=[
            PlanStop(
                id=stop.id,
                village=stop.village,
                latitude=stop.latitude,
                longitude=stop.longitude,
                service_minutes=stop.service_minutes,
                window_opens=stop.window_opens,
                window_closes=stop.window_closes,
            )
            for stop in stops
        ],
        departs_at=route.departs_at,
        van_capacity=route.van.capacity_crates,
        # A route's timetable holds for every run, whatever is ordered: each run's load is
        # checked against the van by its loading list, so the round itself carries no demand.
        demands={},
        time_budget_seconds=time_budget_seconds,
        travel=travel,
    )
    by_id = {stop.id: stop for stop in stops}
    route_plan = RoutePlan(
        route_id=route.id,
        created_by_id=created_by.id if created_by else None,
        solver=result.solver,
        time_budget_seconds=time_budget_seconds,
        drive_minutes=result.drive_minutes,
        naive_drive_minutes=result.naive_drive_minutes,
        visits_json=json.dumps(
            [
                {
                    "stop_id": visit.stop_id,
                    "arrives": visit.arrives.strftime("%H:%M"),
                    "departs": visit.departs.strftime("%H:%M"),
                    "drive_minutes": visit.drive_minutes_before,
                    "inputs": _fingerprint(route, by_id[visit.stop_id]),
                }
                for visit in result.visits
            ]
        ),
        unserved_json=json.dumps(
            [
                {
                    "stop_id": item.stop_id,
                    "reason": str(item.reason),
                    "inputs": _fingerprint(route, by_id[item.stop_id]),
                }
                for item in result.unserved
            ]
        ),
    )
    db.session.add(route_plan)
    db.session.flush()
    return route_plan


@dataclass(frozen=True)
class PlannedVisit:
    position: int
    stop: RouteStop | None  # None: taken off the route since
    arrives: time
    departs: time
    drive_minutes: int
    inputs: str


@dataclass(frozen=True)
class UnservedStop:
    stop: RouteStop | None
    reason: str
    inputs: str

    @property
    def message(self) -> str:
        return describe_unserved(self.reason)


@dataclass(frozen=True)
class PlanView:
    """A stored plan read back against the route as it is now."""

    plan: RoutePlan
    route: Route
    visits: list[PlannedVisit]
    unserved: list[UnservedStop]

    @property
    def saving_minutes(self) -> int:
        return self.plan.naive_drive_minutes - self.plan.drive_minutes

    @property
    def is_stale(self) -> bool:
        """The route changed since the plan was computed (stops, times, windows, depot)."""
        planned = {
            item.stop.id: item.inputs
            for item in [*self.visits, *self.unserved]
            if item.stop is not None
        }
        current = {stop.id: _fingerprint(self.route, stop) for stop in self.route.stops}
        return planned != current or any(
            item.stop is None for item in [*self.visits, *self.unserved]
        )

    @property
    def saves_nothing(self) -> bool:
        """No minute gained: accepting would rewrite every public time for nothing."""
        return self.saving_minutes <= 0

    @property
    def can_accept(self) -> bool:
        return (
            self.plan.accepted_at is None
            and not self.unserved
            and not self.is_stale
            and not self.saves_nothing
        )


def route_with_stops(route_id: int) -> Route | None:
    return db.session.scalars(
        select(Route)
        .where(Route.id == route_id)
        .options(
            selectinload(Route.stops),
            selectinload(Route.depot),
            selectinload(Route.van),
            selectinload(Route.grocery),
        )
    ).first()


def read_plan(route_plan: RoutePlan, route: Route) -> PlanView:
    """The plan's visits and unserved stops joined to the route's current stops."""
    stops = {stop.id: stop for stop in route.stops}
    visits = [
        PlannedVisit(
            position=position,
            stop=stops.get(item["stop_id"]),
            arrives=time.fromisoformat(item["arrives"]),
            departs=time.fromisoformat(item["departs"]),
            drive_minutes=item.get("drive_minutes", 0),
            inputs=item.get("inputs", ""),
        )
        for position, item in enumerate(json.loads(route_plan.visits_json), start=1)
    ]
    unserved = [
        UnservedStop(
            stop=stops.get(item["stop_id"]), reason=item["reason"], inputs=item.get("inputs", "")
        )
        for item in json.loads(route_plan.unserved_json or "[]")
    ]
    return PlanView(plan=route_plan, route=route, visits=visits, unserved=unserved)


def recent_plans(route: Route, limit: int = RECENT_PLANS) -> list[RoutePlan]:
    return list(
        db.session.scalars(
            select(RoutePlan)
            .where(RoutePlan.route_id == route.id)
            .options(selectinload(RoutePlan.created_by))
            .order_by(RoutePlan.created_at.desc(), RoutePlan.id.desc())
            .limit(limit)
        )
    )


def accept_plan(route_plan: RoutePlan, now: datetime) -> int:
    """Give the route the plan's order and times, and restamp its coming runs.

    Returns the number of coming runs restamped. Raises DomainError, changing nothing, when
    the plan was accepted already, leaves stops unserved, or the route changed since.
    """
    # One acceptance at a time per route (a row lock on PostgreSQL; SQLite writes one by one).
    db.session.scalars(
        select(Route.id).where(Route.id == route_plan.route_id).with_for_update()
    ).one()
    db.session.refresh(route_plan)
    route = route_with_stops(route_plan.route_id)
    view = read_plan(route_plan, route)
    if route_plan.accepted_at is not None:
        raise DomainError(_("Ce plan a déjà été accepté."))
    if view.unserved:
        raise DomainError(
            _(
                "Ce plan laisse des arrêts sans passage : il ne peut pas être accepté. "
                "Corrigez leurs créneaux ou retirez-les de la tournée, puis optimisez à nouveau."
            )
        )
    if view.is_stale:
        raise DomainError(
            _(
                "La tournée a changé depuis ce calcul (arrêts, horaires ou créneaux) : "
                "optimisez-la à nouveau."
            )
        )
    if view.saves_nothing:
        raise DomainError(
            _(
                "Ce plan ne fait gagner aucune minute : la tournée garde son ordre et ses "
                "horaires publics."
            )
        )
    route_plan.accepted_at = now
    return set_timetable(
        route,
        [StopTime(visit.stop.id, visit.arrives, visit.departs) for visit in view.visits],
        now=now,
    )
