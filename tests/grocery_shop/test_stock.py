"""The stock's conditional UPDATEs: reserve, release, take out, sell, never past what is there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.grocery_shop import stock
from marketplace.grocery_shop.models import StockItem
from tests import factories


def counters(item_id: int) -> tuple[int, int]:
    row = db.session.execute(
        select(StockItem.quantity_milli, StockItem.reserved_milli).where(StockItem.id == item_id)
    ).one()
    return row.quantity_milli, row.reserved_milli


def test_reserve_takes_what_is_left_and_no_more(app):
    item = factories.StockItemFactory(quantity_milli=5000)

    assert stock.reserve(item.id, 3000)
    assert stock.reserve(item.id, 2000)
    assert not stock.reserve(item.id, 1)
    assert counters(item.id) == (5000, 5000)
    assert stock.available_milli(item.id) == 0


def test_release_gives_back_only_what_was_held(app):
    item = factories.StockItemFactory(quantity_milli=5000, reserved_milli=2000)

    assert stock.release(item.id, 1500)
    assert not stock.release(item.id, 1000)  # only 500 still held
    assert counters(item.id) == (5000, 500)


def test_take_out_and_sell_lower_the_shelf(app):
    item = factories.StockItemFactory(quantity_milli=5000, reserved_milli=2000)

    assert stock.take_out(item.id, 2000)  # a pre-order collected
    assert counters(item.id) == (3000, 0)
    assert not stock.take_out(item.id, 1000)  # nothing reserved any more
    assert stock.sell(item.id, 3000)  # a walk-in sale
    assert not stock.sell(item.id, 1)
    assert counters(item.id) == (0, 0)


def test_selling_never_touches_reserved_units(app):
    item = factories.StockItemFactory(quantity_milli=5000, reserved_milli=4000)

    assert not stock.sell(item.id, 2000)
    assert stock.sell(item.id, 1000)
    assert counters(item.id) == (4000, 4000)


@pytest.mark.parametrize("move", [stock.reserve, stock.release, stock.take_out, stock.sell])
def test_quantities_must_be_positive(app, move):
    item = factories.StockItemFactory()
    with pytest.raises(ValueError):
        move(item.id, 0)


def test_available_items_lists_this_grocerys_items_with_something_left(app):
    grocery = factories.GroceryFactory()
    carrots = factories.StockItemFactory(grocery=grocery, name="Carottes", category="legumes")
    factories.StockItemFactory(grocery=grocery, quantity_milli=2000, reserved_milli=2000)
    honey = factories.StockItemFactory(grocery=grocery, name="Miel", category="miel")
    apples = factories.StockItemFactory(grocery=grocery, name="Pommes", category="fruits")
    factories.StockItemFactory(name="Ailleurs")

    assert [item.id for item in stock.available_items(grocery.id)] == [
        apples.id,
        carrots.id,
        honey.id,
    ]
