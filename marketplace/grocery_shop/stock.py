"""The grocery's stock moves as single conditional UPDATEs: the database decides, never Python.

Same pattern as the weekly shop (shop/stock.py): reading what is left and writing it back would
let two pre-orders take the last unit together. One UPDATE whose WHERE clause checks what is
left is atomic on SQLite and PostgreSQL, and the `never_oversold` CHECK is the last guard.
"""

from __future__ import annotations

from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem


def reserve(stock_item_id: int, quantity_milli: int) -> bool:
    """Set aside `quantity_milli` of a stock item; False when not enough is left."""
    if quantity_milli <= 0:
        raise ValueError("Reserve a positive quantity.")
    result = db.session.execute(
        update(StockItem)
        .where(
            StockItem.id == stock_item_id,
            StockItem.reserved_milli + quantity_milli <= StockItem.quantity_milli,
        )
        .values(reserved_milli=StockItem.reserved_milli + quantity_milli)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(stock_item_id: int, quantity_milli: int) -> bool:
    """Give back a reservation (a pre-order lowered or cancelled); False if it was not held."""
    if quantity_milli <= 0:
        raise ValueError("Release a positive quantity.")
    result = db.session.execute(
        update(StockItem)
        .where(StockItem.id == stock_item_id, StockItem.reserved_milli >= quantity_milli)
        .values(reserved_milli=StockItem.reserved_milli - quantity_milli)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def take_out(stock_item_id: int, quantity_milli: int) -> bool:
    """A reserved quantity leaves the shelf (a pre-order collected): both counters go down."""
    if quantity_milli <= 0:
        raise ValueError("Take out a positive quantity.")
    result = db.session.execute(
        update(StockItem)
        .where(StockItem.id == stock_item_id, StockItem.reserved_milli >= quantity_milli)
        .values(
            quantity_milli=StockItem.quantity_milli - quantity_milli,
            reserved_milli=StockItem.reserved_milli - quantity_milli,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def sell(stock_item_id: int, quantity_milli: int) -> bool:
    """An unreserved quantity leaves the shelf (a walk-in sale); False when not enough is free."""
    if quantity_milli <= 0:
        raise ValueError("Sell a positive quantity.")
    result = db.session.execute(
        update(StockItem)
        .where(
            StockItem.id == stock_item_id,
            StockItem.quantity_milli - StockItem.reserved_milli >= quantity_milli,
        )
        .values(quantity_milli=StockItem.quantity_milli - quantity_milli)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def available_milli(stock_item_id: int) -> int:
    """What is free now, read from the database (not from a possibly stale object)."""
    row = db.session.execute(
        select(StockItem.quantity_milli, StockItem.reserved_milli).where(
            StockItem.id == stock_item_id
        )
    ).one()
    return row.quantity_milli - row.reserved_milli


def available_items(grocery_id: int) -> list[StockItem]:
    """The grocery's items with something left to pre-order, by category then name (one query)."""
    return list(
        db.session.scalars(
            select(StockItem)
            .where(
                StockItem.grocery_id == grocery_id,
                StockItem.quantity_milli > StockItem.reserved_milli,
            )
            .order_by(StockItem.category, StockItem.name, StockItem.id)
        )
    )


def stock_items(grocery_id: int) -> list[StockItem]:
    """Every item of the grocery, empty ones included, by category then name (one query)."""
    return list(
        db.session.scalars(
            select(StockItem)
            .where(StockItem.grocery_id == grocery_id)
            .order_by(StockItem.category, StockItem.name, StockItem.id)
        )
    )


def put_back(stock_item_id: int, quantity_milli: int) -> bool:
    """A sold quantity returns to the shelf (a walk-in sale voided); False if the item is gone."""
    if quantity_milli <= 0:
        raise ValueError("Put back a positive quantity.")
    result = db.session.execute(
        update(StockItem)
        .where(StockItem.id == stock_item_id)
        .values(quantity_milli=StockItem.quantity_milli + quantity_milli)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
