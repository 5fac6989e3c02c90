"""The territory's places for the map page: pickup points of the groups, producers' farms and
the mobile grocery's village stops, each with its address and coordinates (three queries,
whatever their number)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.delivery.models import PickupPoint
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Organisation
from marketplace.producers.models import Producer
from marketplace.routes.models import Route, RouteStop


@dataclass(frozen=True)
class Place:
    kind: str  # "pickup", "producer", "stop"
    name: str
    address: str
    owner: str  # the group, the trade or the route
    latitude: float
    longitude: float
    endpoint: str  # the place's public page
    slug: str


@dataclass
class Places:
    pickup_points: list[Place]
    producers: list[Place]
    stops: list[Place]

    def __bool__(self) -> bool:
        return bool(self.pickup_points or self.producers or self.stops)


def _address(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def territory_places() -> Places:
    pickup_points = [
        Place(
            "pickup",
            point.name,
            _address(point.address, f"{point.postcode} {point.city}".strip()),
            group_name,
            point.latitude,
            point.longitude,
            "territory.group",
            group_slug,
        )
        for point, group_name, group_slug in db_rows(
            select(PickupPoint, Group.name, Group.slug)
            .join(Group, Group.id == PickupPoint.group_id)
            .where(PickupPoint.active.is_(True))
            .order_by(Group.name, PickupPoint.name)
        )
    ]
    producers = [
        Place(
            "producer",
            producer.name,
            _address(producer.address, f"{producer.postcode} {producer.city}".strip()),
            "",
            producer.latitude,
            producer.longitude,
            "producers.detail",
            producer.slug,
        )
        for (producer,) in db_rows(
            select(Producer)
            .where(Producer.latitude.is_not(None), Producer.longitude.is_not(None))
            .order_by(Producer.name)
        )
    ]
    grocery = aliased(Organisation)
    stops = [
        Place(
            "stop",
            stop.village,
            stop.place,
            f"{grocery_name} — {route_name}",
            stop.latitude,
            stop.longitude,
            "timetables.stop_page",
            stop.slug,
        )
        for stop, route_name, grocery_name in db_rows(
            select(RouteStop, Route.name, grocery.name)
            .join(Route, Route.id == RouteStop.route_id)
            .join(grocery, grocery.id == Route.grocery_id)
            .where(Route.active.is_(True), RouteStop.retired_at.is_(None))
            .order_by(RouteStop.village, RouteStop.id)
        )
    ]
    return Places(pickup_points, producers, stops)


def db_rows(query):
    return db.session.execute(query).all()
