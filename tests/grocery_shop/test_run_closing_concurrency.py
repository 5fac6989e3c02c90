"""The staff and the scheduler close the same run at the same moment: it is settled once, the
others are told it is already closed, nobody gets an exception.

Each closer is a thread with its own app context, hence its own database session and
connection, on the tests' real database (a SQLite file with a busy timeout, or PostgreSQL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import RunClosing
from marketplace.grocery_shop.run_closing import close_run
from marketplace.routes.models import RouteRun
from tests.grocery_shop.preorders_support import item, make_run
from tests.grocery_shop.test_run_closing import order, stock_of

CLOSERS = 4


def test_closing_a_run_at_the_same_time_settles_it_once(app):
    van = make_run(stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 2_000}, name="Foyer Abel").pickup_state = "collected"
    order(van, 0, {potatoes: 1_000}, name="Foyer Bellec")
    db.session.commit()
    run_id, now = van.run.id, van.run.departs_at + timedelta(hours=4)
    start = threading.Barrier(CLOSERS, timeout=60)

    def close(_index: int) -> str:
        start.wait()
        with app.app_context():
            try:
                close_run(db.session.get(RouteRun, run_id), by=None, now=now)
                db.session.commit()
                return "closed"
            except DomainError as error:
                db.session.rollback()
                return error.message
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=CLOSERS) as pool:
        results = list(pool.map(close, range(CLOSERS)))

    assert results.count("closed") == 1
    assert set(results) - {"closed"} == {"Cette tournée est déjà clôturée."}
    assert db.session.scalar(select(func.count(RunClosing.id))) == 1
    assert stock_of(potatoes) == (8_000, 0)  # taken out once, released once
