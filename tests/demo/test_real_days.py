"""`make run` on any date shows the real days: a pickup day today or tomorrow with baskets and
extras to hand over and Lucas on the roster, van pre-orders on the next round, products with
pictures, past installments cashed, a fund with money, a shop open for Foyer Martin's group.

Each check seeds the demo at two dates through the one clock (a Monday in December, a Sunday
in spring), as `flask demo seed` would on those days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery
from marketplace.catalogue.models import Product, ProductPhoto
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import demo_email
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from marketplace.groups.models import Group
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.models import Installment
from marketplace.routes.models import RouteRun, RunStop
from marketplace.shifts.models import ShiftSignup
from marketplace.shop.models import Order
from marketplace.shop.queries import open_days, shop_rows
from marketplace.timezones import PARIS, paris_today

DATES = [
    datetime(2026, 12, 7, 10, 0, tzinfo=PARIS),  # a Monday
    datetime(2027, 3, 14, 10, 0, tzinfo=PARIS),  # a Sunday
]
DEMO_GROUP = "amap-croix-rousse"


@pytest.fixture(params=DATES, ids=lambda instant: instant.date().isoformat())
def today(request):
    with time_machine.travel(request.param, tick=True):
        today = paris_today()
        seed_demo_territory(today, horizon_weeks=8)
        db.session.commit()
        yield today


def _group() -> Group:
    return db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.email == demo_email(name)))


def _pickup_day(today: date) -> DistributionDay | None:
    return db.session.scalar(
        select(DistributionDay)
        .where(
            DistributionDay.group_id == _group().id,
            DistributionDay.day.in_([today, today + timedelta(days=1)]),
        )
        .order_by(DistributionDay.day)
        .limit(1)
    )


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.mark.xfail(
    strict=True,
    reason="not yet: the calendars keep their weekdays, and extras for a day whose orders are "
    "closed would need orders placed in the past",
)
def test_a_pickup_day_today_or_tomorrow_with_baskets_extras_and_lucas(today: date):
    day = _pickup_day(today)
    assert day is not None
    assert _count(select(Delivery.id).where(Delivery.distribution_day_id == day.id)) > 0
    assert _count(select(Order.id).where(Order.distribution_day_id == day.id)) > 0
    lucas = _user("benevole.lucas")
    assert _count(
        select(ShiftSignup.id).where(
            ShiftSignup.distribution_day_id == day.id, ShiftSignup.user_id == lucas.id
        )
    )


def test_van_pre_orders_on_the_next_round(today: date):
    next_run = db.session.scalar(
        select(RouteRun).where(RouteRun.day >= today).order_by(RouteRun.day).limit(1)
    )
    assert next_run is not None
    on_it = select(PreOrder.id).join(RunStop, RunStop.id == PreOrder.run_stop_id)
    assert _count(on_it.where(RunStop.run_id == next_run.id)) > 0


def test_every_demo_product_has_a_picture(today: date):
    products = _count(select(Product.id))
    assert products > 0
    assert _count(select(ProductPhoto.product_id)) == products
    photo = db.session.scalars(select(ProductPhoto)).first()
    assert photo.content_type == "image/jpeg" and photo.data[:2] == b"\xff\xd8"


@pytest.mark.xfail(
    strict=True, reason="not yet: the demo's households all sign up on the seed's day"
)
def test_past_installments_are_cashed(today: date):
    past = select(Installment.id).where(Installment.due_on < today)
    assert _count(past) > 0
    assert _count(past.where(Installment.state.in_(["paid", "handed_over"]))) > 0


def test_the_demo_group_has_money_in_its_fund(today: date):
    assert fund_balance_cents(_group().id) > 0


def test_the_shop_is_open_for_foyer_martins_group(today: date):
    days = open_days(_user("foyer.martin"), utcnow())
    assert any(shop_rows(day) for day in days)


def test_seeding_again_creates_nothing(today: date):
    assert seed_demo_territory(today, horizon_weeks=8).created == 0
