"""The demo's mobile-grocery route: six villages every Tuesday, seeded once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from marketplace.demo.routes import seed_demo_routes
from marketplace.extensions import db
from marketplace.routes.models import Route, RouteException, RouteRun
from tests.factories import GroceryFactory


def test_the_demo_route_is_seeded_once():
    GroceryFactory(slug="epicerie-la-passerelle")
    today = date(2026, 11, 20)
    assert seed_demo_routes(today) == 10
    route = db.session.scalar(select(Route))
    assert route.name == "Tournée des Monts" and len(route.stops) == 6
    assert route.stops[0].village == "Chaussan"
    exception = db.session.scalar(select(RouteException))
    assert exception.occurrence_date.weekday() == 1 and "pas de tournée" in exception.reason
    runs = db.session.scalar(select(func.count(RouteRun.id)))
    assert runs >= 8
    assert seed_demo_routes(today) == 0
    assert db.session.scalar(select(func.count(RouteRun.id))) == runs
