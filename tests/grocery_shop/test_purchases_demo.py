"""The demo grocery has one purchase open to changes and one waiting to enter the stock,
whatever the seed's date, and only once."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import GROCERY
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.purchases import live_purchases
from marketplace.payments.models import LedgerEntry
from marketplace.shop.models import Order
from marketplace.timezones import local_instant


def grocery_orders() -> int:
    return db.session.scalar(select(func.count(Order.id)).where(Order.grocery_id.is_not(None)))


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2027, 3, 29), date(2027, 7, 14)])
def test_demo_grocery_has_an_open_purchase_and_one_to_receive(app, today):
    seed_demo_territory(today, horizon_weeks=3)
    db.session.commit()
    grocery = db.session.scalar(select(Grocery).where(Grocery.slug == GROCERY["slug"]))
    noon = local_instant(today, time(12, 0))
    listed = live_purchases(grocery.id, noon)
    assert len(listed) == 2
    open_one, to_receive = listed
    assert open_one.window_open(noon) and not open_one.receivable(noon)
    assert to_receive.receivable(noon) and not to_receive.in_stock
    assert all(purchase.lines and purchase.total_cents > 0 for purchase in listed)
    assert (
        db.session.scalar(
            select(func.count(LedgerEntry.id)).where(
                LedgerEntry.order_id.in_([purchase.order_id for purchase in listed])
            )
        )
        == 0
    )

    seed_demo_territory(today, horizon_weeks=3)
    db.session.commit()
    assert grocery_orders() == 2
