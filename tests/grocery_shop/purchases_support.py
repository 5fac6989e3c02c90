"""A grocery buying from a group's distribution: the shop's day and producer, the grocery and
one of its staff, and ways to move the day into the past once the purchase is placed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from tests import factories
from tests.shop.helpers import Shop, make_shop


@dataclass
class Market:
    shop: Shop
    grocery: Grocery
    staff: User

    @property
    def day(self) -> DistributionDay:
        return self.shop.day

    def url(self, tail: str = "") -> str:
        return f"/epiceries/{self.grocery.slug}/achats{tail}"

    def day_url(self) -> str:
        return self.url(f"/distributions/{self.day.id}")


def staff_of(grocery: Grocery, **values) -> User:
    user = factories.UserFactory(**values)
    factories.MembershipFactory(user=user, organisation=grocery, role="grocery_staff")
    return user


def make_market() -> Market:
    shop = make_shop()
    grocery = factories.GroceryFactory(name="Épicerie du Pilat", slug="epicerie-du-pilat")
    staff = staff_of(grocery, name="Awa Diallo")
    return Market(shop, grocery, staff)


def move_day_to_the_past(day: DistributionDay) -> None:
    """The distribution took place yesterday (its order window closed before it)."""
    starts = utcnow() - timedelta(days=1)
    db.session.execute(
        update(DistributionDay)
        .where(DistributionDay.id == day.id)
        .values(
            order_opens_at=starts - timedelta(days=7),
            order_closes_at=starts - timedelta(days=2),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
    )
    db.session.commit()
    db.session.expire_all()


def close_window(day: DistributionDay) -> None:
    """The window closed an hour ago; the distribution is still to come."""
    db.session.execute(
        update(DistributionDay)
        .where(DistributionDay.id == day.id)
        .values(order_closes_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    db.session.expire_all()
