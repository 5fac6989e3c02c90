"""`make run` on any date shows real days: a distribution today in the demo group with baskets
and extras to hand over and the volunteer Lucas on its roster, van pre-orders on the next
round, products with pictures, past installments cashed (prefinancing and the producer's sales
chart have history), a solidarity fund with money, a shop open for Foyer Martin's group, and
seeding again creates nothing.

The demo is seeded once at each of several dates through the one clock (weekdays, Sundays,
Christmas, New Year's Day, 29 February, a summer Saturday), as `flask demo seed` would on those
days, and every point is checked on it, the pages opened as their users."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from flask import url_for
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery
from marketplace.baskets.prefinancing import group_statement, producer_statement
from marketplace.catalogue.models import Product, ProductPhoto
from marketplace.db import utcnow
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import demo_email
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from marketplace.groups.models import Group
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.models import Installment, InstallmentState
from marketplace.payments.money import format_money
from marketplace.producers.models import Producer
from marketplace.routes.models import RouteRun, RunStop
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.shop.dashboard import producer_dashboard
from marketplace.shop.models import Order, OrderLine
from marketplace.shop.queries import open_days, shop_rows
from marketplace.timezones import PARIS, paris_today
from tests.helpers import login_id

DATES = [
    datetime(2026, 12, 7, 10, 0, tzinfo=PARIS),  # a Monday
    datetime(2027, 3, 14, 10, 0, tzinfo=PARIS),  # a Sunday
    datetime(2026, 12, 25, 21, 30, tzinfo=PARIS),  # Christmas, after the evening distribution
    datetime(2027, 1, 1, 8, 0, tzinfo=PARIS),  # New Year's Day (a public holiday, a Friday)
    datetime(2028, 2, 29, 12, 0, tzinfo=PARIS),  # 29 February (a Tuesday: the regular day)
    datetime(2027, 7, 17, 16, 0, tzinfo=PARIS),  # a Saturday in summer
]
DEMO_GROUP = "amap-croix-rousse"


def _group() -> Group:
    return db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.email == demo_email(name)))


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.mark.parametrize("instant", DATES, ids=lambda instant: instant.date().isoformat())
def test_the_demo_shows_real_days(instant: datetime, client):
    with time_machine.travel(instant, tick=True):
        today = paris_today()
        seed_demo_territory(today, horizon_weeks=8)
        db.session.commit()

        next_run = db.session.scalar(
            select(RouteRun)
            .where(RouteRun.day >= today, RouteRun.id.in_(select(RunStop.run_id)))
            .order_by(RouteRun.day)
            .limit(1)
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

        _check_the_day_today(client, today)
        _check_the_history(client, today)

        assert seed_demo_territory(today, horizon_weeks=8).created == 0


def _log_in(client, name: str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = login_id(_user(name))
        session["_fresh"] = True


def _check_the_day_today(client, today) -> None:
    group = _group()
    days = db.session.scalars(
        select(DistributionDay.id).where(
            DistributionDay.group_id == group.id,
            DistributionDay.day == today,
            DistributionDay.status == DayStatus.SCHEDULED.value,
        )
    ).all()
    assert days, "a distribution today"
    baskets = _count(select(Delivery.id).where(Delivery.distribution_day_id.in_(days)))
    extras = _count(
        select(OrderLine.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.distribution_day_id.in_(days))
    )
    assert baskets > 0 and extras > 0, "baskets and extras to hand over today"
    lucas = _user("benevole.lucas")
    on_roster = select(ShiftSignup.id).where(
        ShiftSignup.user_id == lucas.id,
        ShiftSignup.distribution_day_id.in_(days),
        ShiftSignup.state == ShiftState.SIGNED_UP.value,
    )
    assert _count(on_roster) > 0, "Lucas on today's roster"

    _log_in(client, "benevole.lucas")
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Liste du jour" in page
    with client.application.test_request_context():
        my_days = url_for("pickup.my_days")
    assert my_days in page
    lists = client.get(my_days)
    assert lists.status_code == 200


def _check_the_history(client, today) -> None:
    group = _group()
    paid = select(Installment.id).where(
        Installment.state == InstallmentState.PAID.value, Installment.due_on < today
    )
    assert _count(paid) > 0, "installments paid before today"

    received = group_statement(group.id, now=utcnow()).total("received_cents")
    assert received > 0
    _log_in(client, "claire.coordination")
    page = client.get(f"/groupes/{group.slug}/gestion/prefinancement").get_data(as_text=True)
    assert format_money(received) in page

    coteau = db.session.scalar(select(Producer).where(Producer.slug == "ferme-du-coteau"))
    weeks = producer_dashboard(coteau.id, today=today).weeks
    assert any(week.revenue_cents > 0 for week in weeks[:-1]), "past weeks in the sales chart"
    _log_in(client, "ferme.coteau")
    response = client.get(f"/producteurs/{coteau.id}/tableau-de-bord")
    assert response.status_code == 200
    received = producer_statement(coteau.id, now=utcnow()).total("received_cents")
    page = client.get(f"/producteurs/{coteau.slug}/prefinancement").get_data(as_text=True)
    assert received > 0 and format_money(received) in page


def test_seeding_again_days_later_gives_that_day_its_distribution(client):
    """`make run` seeds the same database again on another day: that day has its list too."""
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=PARIS), tick=True):
        seed_demo_territory(paris_today(), horizon_weeks=8)
        db.session.commit()
    with time_machine.travel(datetime(2026, 12, 11, 9, 0, tzinfo=PARIS), tick=True):
        today = paris_today()
        seed_demo_territory(today, horizon_weeks=8)
        db.session.commit()
        _check_the_day_today(client, today)
        _check_the_history(client, today)
