"""Thirty households pre-order the last ten units at once: exactly ten get one, the others are
told clearly, nobody gets an exception.

Each household is a thread with its own app context, hence its own database session and
connection, on the tests' real database (a SQLite file with a busy timeout, or PostgreSQL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.config import engine_options
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import Beneficiary, PreOrder, PreOrderLine, StockItem
from marketplace.grocery_shop.preorders import place_preorder
from marketplace.routes.models import RunStop
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run

HOUSEHOLDS = 30
UNITS = 10


@pytest.fixture
def rush_app(app, make_app):
    """The same database, a connection for every household (30 at once, as 30 web workers)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    rushing = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={**engine_options(url), "pool_size": HOUSEHOLDS + 5}
    )
    yield rushing
    with rushing.app_context():
        db.engine.dispose()


def rush(app, run_stop_id: int, staff_id: int, beneficiary_ids: list[int], quantities) -> list:
    start = threading.Barrier(len(beneficiary_ids), timeout=60)

    def pre_order(beneficiary_id: int) -> str:
        start.wait()
        with app.app_context():
            try:
                place_preorder(
                    db.session.get(Beneficiary, beneficiary_id),
                    db.session.get(RunStop, run_stop_id),
                    quantities,
                    by=db.session.get(User, staff_id),
                    now=utcnow(),
                )
                db.session.commit()
                return "reserved"
            except DomainError as error:
                db.session.rollback()
                return error.message

    with ThreadPoolExecutor(max_workers=len(beneficiary_ids)) as pool:
        return list(pool.map(pre_order, beneficiary_ids))


def test_thirty_households_on_ten_units_never_oversell(rush_app):
    van = make_run()
    jars = item(van.grocery, name="Confiture de mûres", unit="bocal", quantity_milli=UNITS * 1000)
    households = [household(van.grocery) for _ in range(HOUSEHOLDS)]
    staff = factories.UserFactory()
    db.session.commit()

    results = rush(rush_app, van.stops[0].id, staff.id, [h.id for h in households], {jars.id: 1000})

    assert results.count("reserved") == UNITS
    refusals = [result for result in results if result != "reserved"]
    assert len(refusals) == HOUSEHOLDS - UNITS
    assert set(refusals) == {"« Confiture de mûres » n'est plus disponible."}
    db.session.expire_all()
    assert db.session.get(StockItem, jars.id).reserved_milli == UNITS * 1000
    assert db.session.scalar(select(func.sum(PreOrderLine.quantity_milli))) == UNITS * 1000
    assert db.session.scalar(select(func.count(PreOrder.id))) == UNITS
