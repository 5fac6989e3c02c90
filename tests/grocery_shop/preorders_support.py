"""A grocery with a van, a route of stops and a coming run, for the pre-order tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.routes.models import Route, RouteRun, RunStop
from marketplace.timezones import paris_today
from tests import factories


@dataclass
class VanRun:
    grocery: Grocery
    route: Route
    run: RouteRun
    stops: list[RunStop] = field(default_factory=list)


def make_run(
    grocery: Grocery | None = None,
    *,
    days_ahead: int = 7,
    stops: int = 2,
    capacity_crates: int = 40,
    capacity_kg: int | None = 800,
    status: str = "scheduled",
) -> VanRun:
    """A scheduled run `days_ahead` days from today with `stops` stops, 9:00 then every hour."""
    grocery = grocery or factories.GroceryFactory()
    van = factories.VanFactory(
        grocery=grocery, capacity_crates=capacity_crates, capacity_kg=capacity_kg
    )
    route = factories.RouteFactory(van=van)
    run = factories.RouteRunFactory(
        route=route, occurrence_date=paris_today() + timedelta(days=days_ahead), status=status
    )
    run_stops = []
    for index in range(stops):
        stop = factories.RouteStopFactory(
            route=route,
            position=index + 1,
            village=f"Village {chr(ord('A') + index)}",
            arrives_at=time(9 + index, 0),
            departs_at=time(9 + index, 30),
        )
        run_stops.append(factories.RunStopFactory(run=run, stop=stop))
    db.session.flush()
    return VanRun(grocery=grocery, route=route, run=run, stops=run_stops)


def household(grocery: Grocery, user=None, **values):
    return factories.BeneficiaryFactory(
        grocery=grocery, user_id=user.id if user else None, **values
    )


def item(grocery: Grocery, **values):
    return factories.StockItemFactory(grocery=grocery, **values)
