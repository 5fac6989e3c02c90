"""`make run` on any date shows real days: van pre-orders on the next round, products with
pictures, a solidarity fund with money, a shop open for Foyer Martin's group, and seeding
again creates nothing.

The demo is seeded once at each of two dates through the one clock (a Monday in December, a
Sunday in spring), as `flask demo seed` would on those days, and every point is checked on it."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Product, ProductPhoto
from marketplace.db import utcnow
from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import demo_email
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from marketplace.groups.models import Group
from marketplace.payments.fund import fund_balance_cents
from marketplace.routes.models import RouteRun, RunStop
from marketplace.shop.queries import open_days, shop_rows
from marketplace.timezones import PARIS, paris_today

DATES = [
    datetime(2026, 12, 7, 10, 0, tzinfo=PARIS),  # a Monday
    datetime(2027, 3, 14, 10, 0, tzinfo=PARIS),  # a Sunday
]
DEMO_GROUP = "amap-croix-rousse"


def _group() -> Group:
    return db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.email == demo_email(name)))


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.mark.parametrize("instant", DATES, ids=lambda instant: instant.date().isoformat())
def test_the_demo_shows_real_days(instant: datetime):
    with time_machine.travel(instant, tick=True):
        today = paris_today()
        seed_demo_territory(today, horizon_weeks=8)
        db.session.commit()

        next_run = db.session.scalar(
            select(RouteRun).where(RouteRun.day >= today).order_by(RouteRun.day).limit(1)
        )
        assert next_run is not None
        on_it = select(PreOrder.id).join(RunStop, RunStop.id == PreOrder.run_stop_id)
        assert _count(on_it.where(RunStop.run_id == next_run.id)) > 0, "van pre-orders"

        products = _count(select(Product.id))
        assert products > 0 and _count(select(ProductPhoto.product_id)) == products
        photo = db.session.scalars(select(ProductPhoto)).first()
        assert photo.content_type == "image/jpeg" and photo.data[:2] == b"\xff\xd8"

        assert fund_balance_cents(_group().id) > 0, "the fund has money"

        days = open_days(_user("foyer.martin"), utcnow())
        assert any(shop_rows(day) for day in days), "a shop open for Foyer Martin"

        assert seed_demo_territory(today, horizon_weeks=8).created == 0
