"""Two phones sell the last jar at the same moment: exactly one sale is recorded; and the same
sale sent by two requests at once is recorded once.

Each phone is a thread with its own app context, hence its own session and connection, on the
tests' real database (a SQLite file with a busy timeout, or PostgreSQL).
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.config import engine_options
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.grocery_shop.walk_in import SaleIn, record_sales
from marketplace.organisations.models import Role
from marketplace.routes.models import RunStop
from tests import factories
from tests.grocery_shop.preorders_support import item, make_run

PHONES = 2


@pytest.fixture
def phones_app(app, make_app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    phones = make_app(SQLALCHEMY_ENGINE_OPTIONS={**engine_options(url), "pool_size": PHONES + 2})
    yield phones
    with phones.app_context():
        db.engine.dispose()


def sell_at_once(app, run_stop_id: int, staff_id: int, sales: list[SaleIn]) -> list[str]:
    start = threading.Barrier(len(sales), timeout=60)

    def sell(sale: SaleIn) -> str:
        start.wait()
        with app.app_context():
            [result] = record_sales(
                db.session.get(RunStop, run_stop_id),
                db.session.get(User, staff_id),
                [sale],
                utcnow(),
            )
            db.session.commit()
            return result.status.value

    with ThreadPoolExecutor(max_workers=len(sales)) as pool:
        return list(pool.map(sell, sales))


@pytest.fixture
def stall():
    van = make_run()
    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=van.grocery, role=Role.GROCERY_STAFF.value)
    jar = item(van.grocery, name="Miel", unit="bocal", quantity_milli=1000)
    db.session.commit()
    return van.stops[0].id, staff.id, jar.id


def test_two_phones_selling_the_last_jar_one_wins(phones_app, stall):
    run_stop_id, staff_id, jar_id = stall
    sales = [SaleIn(str(uuid.uuid4()), jar_id, 1000, utcnow()) for _ in range(PHONES)]

    results = sell_at_once(phones_app, run_stop_id, staff_id, sales)

    assert sorted(results) == ["applied", "refused"]
    db.session.expire_all()
    assert db.session.get(StockItem, jar_id).quantity_milli == 0
    assert db.session.scalar(select(func.count(WalkInSale.id))) == 1


def test_the_same_sale_sent_twice_at_once_is_recorded_once(phones_app, stall):
    run_stop_id, staff_id, jar_id = stall
    sale = SaleIn(str(uuid.uuid4()), jar_id, 1000, utcnow())

    results = sell_at_once(phones_app, run_stop_id, staff_id, [sale, sale])

    assert sorted(results) == ["already_applied", "applied"]
    db.session.expire_all()
    assert db.session.get(StockItem, jar_id).quantity_milli == 0
    assert db.session.scalar(select(func.count(WalkInSale.id))) == 1
