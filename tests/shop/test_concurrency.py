"""Thirty households rush for ten units: exactly ten are sold, the others are told clearly.

Each buyer is a thread with its own app context, hence its own database session and
connection, on the tests' real database (a SQLite file with a busy timeout, or PostgreSQL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Availability
from marketplace.config import engine_options
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.shop import ordering
from marketplace.shop.models import Order, OrderLine
from tests.shop.helpers import make_shop

BUYERS = 30
UNITS = 10


@pytest.fixture
def rush_app(app, make_app):
    """The same database, with a connection for every buyer (30 at once, as 30 web workers)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    rushing = make_app(SQLALCHEMY_ENGINE_OPTIONS={**engine_options(url), "pool_size": BUYERS + 5})
    yield rushing
    with rushing.app_context():
        db.engine.dispose()


def rush(app, day_id: int, user_ids: list[int], quantities: dict[int, int]) -> list[str]:
    start = threading.Barrier(len(user_ids), timeout=60)

    def buy(user_id: int) -> str:
        start.wait()
        with app.app_context():
            user = db.session.get(User, user_id)
            day = db.session.get(DistributionDay, day_id)
            try:
                ordering.place_order(user, day, quantities, now=utcnow())
                db.session.commit()
                return "sold"
            except DomainError as error:
                db.session.rollback()
                return error.message

    with ThreadPoolExecutor(max_workers=len(user_ids)) as pool:
        return list(pool.map(buy, user_ids))


def test_thirty_buyers_on_ten_units_never_oversell(rush_app):
    shop = make_shop()
    jars = shop.offer(name="Confiture de mûres", unit="bocal", quantity_milli=UNITS * 1000)
    buyers = [shop.member() for _ in range(BUYERS)]
    db.session.commit()

    results = rush(rush_app, shop.day.id, [user.id for user in buyers], {jars.id: 1000})

    assert results.count("sold") == UNITS
    refusals = [result for result in results if result != "sold"]
    assert len(refusals) == BUYERS - UNITS
    assert set(refusals) == {"« Confiture de mûres » n'est plus disponible."}
    db.session.expire_all()
    assert db.session.get(Availability, jars.id).reserved_milli == UNITS * 1000
    assert db.session.scalar(select(func.sum(OrderLine.quantity_milli))) == UNITS * 1000
    assert db.session.scalar(select(func.count(Order.id))) == UNITS

    # Cancelling returns the units: three cancellations, three more households served.
    for order in db.session.scalars(select(Order).order_by(Order.id).limit(3)):
        ordering.cancel_order(order, now=utcnow())
    db.session.commit()
    assert db.session.get(Availability, jars.id).reserved_milli == (UNITS - 3) * 1000
    waiting = [user.id for user in buyers if not _has_live_order(user.id, shop.day.id)][:5]
    again = rush(rush_app, shop.day.id, waiting, {jars.id: 1000})
    assert again.count("sold") == 3
    db.session.expire_all()
    assert db.session.get(Availability, jars.id).reserved_milli == UNITS * 1000


def _has_live_order(user_id: int, day_id: int) -> bool:
    return ordering.live_order(user_id, day_id) is not None
