"""A pre-order goes back on the shelf once, even when two people cancel it at the same time."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, StockItem
from marketplace.grocery_shop.preorders import cancel_preorder, place_preorder
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run


def test_a_second_cancel_of_a_stale_copy_releases_nothing():
    van = make_run()
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", quantity_milli=10_000)
    pre_order = place_preorder(
        household(van.grocery),
        van.stops[0],
        {potatoes.id: 4000},
        by=factories.UserFactory(),
        now=utcnow(),
    )
    db.session.commit()
    # Someone else's request cancelled it and gave the 4 kg back; our copy still says "placed".
    db.session.execute(
        update(PreOrder)
        .where(PreOrder.id == pre_order.id)
        .values(status="cancelled", cancelled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(StockItem)
        .where(StockItem.id == potatoes.id)
        .values(reserved_milli=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(pre_order, "status", "placed")  # the stale copy, unchanged

    with pytest.raises(DomainError, match="Cette précommande est annulée."):
        cancel_preorder(pre_order, now=utcnow())
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(StockItem, potatoes.id).reserved_milli == 0
