"""The demo grocery's mobile shop: a van, a depot and the "Tournée des Monts", every Tuesday
through six villages of the Monts du Lyonnais, with one public holiday cancelled.
Made through the real services; idempotent (found by its slug before anything is created)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.delivery.holidays import french_public_holidays
from marketplace.demo.territory import GROCERY
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.routes.models import Route
from marketplace.routes.routes import (
    ExceptionData,
    RouteData,
    StopData,
    add_exception,
    add_stop,
    create_route,
)
from marketplace.routes.vans import DepotData, VanData, create_depot, create_van

ROUTE_NAME = "Tournée des Monts"
TUESDAY = 1

# village, place, latitude, longitude, arrival, departure, wished window (or None)
STOPS = (
    ("Chaussan", "Place de la mairie", 45.6347, 4.6339, time(8, 40), time(9, 10), None),
    (
        "Saint-Martin-en-Haut",
        "Place de l'église",
        45.6594,
        4.5622,
        time(9, 30),
        time(10, 15),
        (time(9, 30), time(11, 0)),
    ),
    ("Duerne", "Parking de la salle des fêtes", 45.6833, 4.5264, time(10, 35), time(11, 5), None),
    ("Aveize", "Place du village", 45.6814, 4.4756, time(11, 20), time(11, 50), None),
    (
        "Saint-Symphorien-sur-Coise",
        "Place du marché",
        45.6317,
        4.4556,
        time(12, 10),
        time(12, 55),
        (time(11, 30), time(13, 0)),
    ),
    ("Larajasse", "Devant l'école", 45.6136, 4.5031, time(13, 15), time(13, 45), None),
)


def _first_tuesday_holiday(today: date) -> tuple[date, str] | None:
    """The next French public holiday falling on a Tuesday, within about two years."""
    for year in (today.year, today.year + 1, today.year + 2):
        for day, name in sorted(french_public_holidays(year).items()):
            if day > today and day.weekday() == TUESDAY:
                return day, name
    return None


def seed_demo_routes(today: date) -> int:
    grocery = db.session.scalar(select(Grocery).where(Grocery.slug == GROCERY["slug"]))
    if grocery is None:
        return 0
    exists = db.session.scalar(
        select(Route.id).where(Route.grocery_id == grocery.id, Route.name == ROUTE_NAME)
    )
    if exists is not None:
        return 0
    van = create_van(grocery, VanData("Camion de l'épicerie", 40, 900))
    depot = create_depot(
        grocery,
        DepotData(
            "Entrepôt de Givors",
            f"{grocery.address}, {grocery.postcode} {grocery.city}",
            grocery.latitude,
            grocery.longitude,
        ),
    )
    route = create_route(
        grocery,
        RouteData(
            name=ROUTE_NAME,
            van_id=van.id,
            depot_id=depot.id,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            valid_from=today - timedelta(weeks=4),
            valid_until=None,
            departs_at=time(8, 0),
        ),
        today=today,
    )
    now = utcnow()
    for village, place, latitude, longitude, arrives, departs, window in STOPS:
        add_stop(
            route,
            StopData(
                village=village,
                place=place,
                latitude=latitude,
                longitude=longitude,
                service_minutes=(departs.hour * 60 + departs.minute)
                - (arrives.hour * 60 + arrives.minute),
                window_opens=window[0] if window else None,
                window_closes=window[1] if window else None,
                arrives_at=arrives,
                departs_at=departs,
            ),
            now=now,
        )
    created = 3 + len(STOPS)
    holiday = _first_tuesday_holiday(today)
    if holiday is not None:
        add_exception(
            route,
            ExceptionData(holiday[0], "cancelled", None, f"{holiday[1]} : pas de tournée"),
            today=today,
            now=now,
        )
        created += 1
    return created
