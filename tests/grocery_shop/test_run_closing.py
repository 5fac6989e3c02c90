"""Closing a run of the van: collected pre-orders leave the stock, the rest goes back on the
shelf, once; refused before the departure, for a cancelled run, or twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, RunClosing, StockItem
from marketplace.grocery_shop.preorders import place_preorder
from marketplace.grocery_shop.run_closing import close_run, run_is_closed
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run


def order(van, stop_index, quantities, name=None, user=None):
    """A pre-order placed a few days before the run (while pre-orders are open)."""
    family = household(van.grocery, user=user, household_name=name or "Foyer Martin")
    return place_preorder(
        family,
        van.stops[stop_index],
        {stock.id: milli for stock, milli in quantities.items()},
        by=factories.UserFactory(),
        now=van.run.departs_at - timedelta(days=3),
    )


def stock_of(stock) -> tuple[int, int]:
    db.session.expire_all()
    found = db.session.get(StockItem, stock.id)
    return found.quantity_milli, found.reserved_milli


def test_collected_pre_orders_leave_the_stock_and_the_others_go_back_on_the_shelf():
    van = make_run(stops=2)
    potatoes = item(van.grocery, name="Pommes de terre", quantity_milli=10_000)
    milk = item(van.grocery, name="Lait", unit="litre", quantity_milli=6_000)
    collected = order(van, 0, {potatoes: 2_000, milk: 1_000}, name="Foyer Abel")
    pending = order(van, 1, {potatoes: 1_500}, name="Foyer Bellec")
    refused = order(van, 1, {milk: 2_000}, name="Foyer Carré")
    collected.pickup_state = "collected"
    refused.pickup_state = "not_collected"
    db.session.commit()
    assert stock_of(potatoes) == (10_000, 3_500)
    staff = factories.UserFactory()

    closing = close_run(van.run, by=staff, now=van.run.departs_at + timedelta(hours=5))
    db.session.commit()

    assert (closing.collected_count, closing.released_count) == (1, 2)
    assert closing.closed_by_id == staff.id and closing.grocery_id == van.grocery.id
    assert stock_of(potatoes) == (8_000, 0)  # 2 kg left with Foyer Abel, 1.5 kg back
    assert stock_of(milk) == (5_000, 0)
    states = {p.id: p.pickup_state for p in db.session.scalars(select(PreOrder))}
    assert states == {
        collected.id: "collected",
        pending.id: "not_collected",
        refused.id: "not_collected",
    }
    assert run_is_closed(van.run.id)


def test_a_run_without_pre_orders_closes_with_nothing_to_settle():
    van = make_run(stops=1)
    closing = close_run(van.run, by=None, now=van.run.departs_at)
    assert (closing.collected_count, closing.released_count, closing.closed_by_id) == (0, 0, None)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_left", "La tournée n'est pas encore partie."),
        ("cancelled", "Une tournée annulée ne se clôture pas : ses précommandes sont annulées."),
        ("twice", "Cette tournée est déjà clôturée."),
    ],
)
def test_refused_closings_change_nothing(case, message):
    van = make_run(stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    pre_order = order(van, 0, {potatoes: 2_000})
    pre_order.pickup_state = "collected"
    now = van.run.departs_at + timedelta(hours=4)
    if case == "not_left":
        now = van.run.departs_at - timedelta(minutes=1)
    elif case == "cancelled":
        van.run.status = "cancelled"
    else:
        close_run(van.run, by=None, now=now)
    db.session.commit()
    before = stock_of(potatoes)
    closings = db.session.scalar(select(func.count(RunClosing.id)))

    with pytest.raises(DomainError) as refused:
        close_run(van.run, by=factories.UserFactory(), now=now)
    db.session.rollback()

    assert refused.value.message == message
    assert stock_of(potatoes) == before
    assert db.session.scalar(select(func.count(RunClosing.id))) == closings
    assert db.session.get(PreOrder, pre_order.id).pickup_state == "collected"


def test_a_concurrent_second_closing_fails_on_the_unique_run(monkeypatch):
    """Two closings that both passed the check: the second insert is turned away cleanly."""
    van = make_run(stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 2_000})
    factories.RunClosingFactory(run=van.run)  # the other process's row, already committed
    db.session.commit()
    monkeypatch.setattr("marketplace.grocery_shop.run_closing.run_is_closed", lambda run_id: False)

    with pytest.raises(DomainError, match="déjà clôturée"):
        close_run(van.run, by=None, now=van.run.departs_at + timedelta(hours=4))
    db.session.rollback()

    assert stock_of(potatoes) == (10_000, 2_000)  # the stock was not touched


def test_a_stock_that_no_longer_matches_the_pre_orders_stops_the_closing():
    van = make_run(stops=1)
    potatoes = item(van.grocery, name="Pommes de terre", quantity_milli=10_000)
    order(van, 0, {potatoes: 2_000})
    db.session.commit()
    db.session.get(StockItem, potatoes.id).reserved_milli = 500  # corrupted by hand
    db.session.commit()

    with pytest.raises(DomainError, match="« Pommes de terre » ne correspond plus"):
        close_run(van.run, by=None, now=van.run.departs_at + timedelta(hours=4))
    db.session.rollback()

    assert not run_is_closed(van.run.id)
