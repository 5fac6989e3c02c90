"""Builders for the shop tests: a group, a producer supplying it and a distribution day whose
order window is open now, and many products offered that day (bulk inserted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Availability, Product
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.producers.models import Producer
from tests import factories


@dataclass
class Shop:
    group: Group
    producer: Producer
    day: DistributionDay

    def offer(self, **values) -> Availability:
        """One product offered that day (10 kg at 3,20 €/kg unless told otherwise)."""
        product_values = {
            key: values.pop(key) for key in ("name", "unit", "category") if key in values
        }
        if "price_cents" in values:
            product_values["price_cents"] = values["price_cents"]
        product = factories.ProductFactory(producer=self.producer, **product_values)
        return factories.AvailabilityFactory(
            product=product,
            producer_id=self.producer.id,
            group_id=self.group.id,
            day=self.day.day,
            **values,
        )

    def member(self, *, role: str = "member") -> User:
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, organisation=self.group, role=role)
        return user


def open_day(group: Group | None = None, **values) -> DistributionDay:
    """A distribution in ten days whose order window opened yesterday and is still open."""
    now = utcnow()
    if "schedule" not in values:
        values["schedule"] = factories.DistributionScheduleFactory(
            pickup_point=factories.PickupPointFactory(group=group or factories.GroupFactory())
        )
    values.setdefault("occurrence_date", (now + timedelta(days=10)).date())
    values.setdefault("order_opens_at", now - timedelta(days=1))
    values.setdefault("order_closes_at", now + timedelta(days=3))
    return factories.DistributionDayFactory(**values)


def make_shop() -> Shop:
    day = open_day()
    supply = factories.ProducerSuppliesGroupFactory(group=day.group)
    return Shop(group=day.group, producer=supply.producer, day=day)


def add_products(shop: Shop, count: int, *, quantity_milli: int | None = 50_000) -> None:
    """`count` more products offered on the shop's day, in two bulk INSERTs."""
    start = db.session.scalar(select(db.func.count(Product.id))) or 0
    names = [f"Produit {start + n:05d}" for n in range(count)]
    db.session.execute(
        insert(Product),
        [
            {
                "producer_id": shop.producer.id,
                "name": name,
                "category": ("legumes", "fruits", "fromage", "pain")[n % 4],
                "description": "",
                "unit": ("kg", "piece", "botte", "litre")[n % 4],
                "price_cents": 150 + n % 400,
                "labels": "",
                "archived": False,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for n, name in enumerate(names)
        ],
    )
    ids = db.session.scalars(
        select(Product.id).where(Product.producer_id == shop.producer.id, Product.name.in_(names))
    ).all()
    db.session.execute(
        insert(Availability),
        [
            {
                "product_id": product_id,
                "producer_id": shop.producer.id,
                "group_id": shop.group.id,
                "day": shop.day.day,
                "quantity_milli": quantity_milli,
                "reserved_milli": 0,
                "price_cents": 200 + product_id % 300,
                "max_per_household_milli": None,
                "published": True,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for product_id in ids
        ],
    )
