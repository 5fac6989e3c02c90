"""Transactions behave the same on SQLite and PostgreSQL: a savepoint released inside a
transaction is rolled back with it (SQLite's driver used to commit it at once)."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.cards.models import StripeEvent
from marketplace.extensions import db


def _events() -> int:
    return db.session.scalar(select(func.count(StripeEvent.id)))


def test_a_released_savepoint_is_rolled_back_with_its_transaction():
    with db.session.begin_nested():
        db.session.add(StripeEvent(stripe_event_id="evt_sp", type="t", payload="{}"))
    assert _events() == 1

    db.session.rollback()

    assert _events() == 0


def test_a_rolled_back_savepoint_keeps_the_work_before_it():
    db.session.add(StripeEvent(stripe_event_id="evt_before", type="t", payload="{}"))
    db.session.flush()
    nested = db.session.begin_nested()
    db.session.add(StripeEvent(stripe_event_id="evt_inside", type="t", payload="{}"))
    db.session.flush()
    nested.rollback()
    db.session.commit()

    assert db.session.scalars(select(StripeEvent.stripe_event_id)).all() == ["evt_before"]
