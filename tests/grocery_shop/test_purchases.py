"""A grocery's purchase through shop/ordering.py and its reception into the stock (services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Availability
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop import purchases
from marketplace.grocery_shop.models import StockItem
from marketplace.payments.models import LedgerEntry
from marketplace.shop import ordering
from marketplace.shop.models import Order
from tests import factories
from tests.grocery_shop.purchases_support import make_market, staff_of


@pytest.fixture
def market(app):
    built = make_market()
    db.session.commit()
    return built


def reserved(availability: Availability) -> int:
    return db.session.scalar(
        select(Availability.reserved_milli).where(Availability.id == availability.id)
    )


def ledger_entries() -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def test_place_change_cancel_a_purchase_moves_stock_and_books_nothing(market):
    carrots = market.shop.offer(name="Carottes", price_cents=300, quantity_milli=20_000)
    eggs = market.shop.offer(name="Œufs", unit="douzaine", price_cents=400, quantity_milli=None)
    now = utcnow()

    order = ordering.place_order(
        market.staff, market.day, {carrots.id: 5_000}, now=now, grocery=market.grocery
    )
    assert order.grocery_id == market.grocery.id
    assert order.user_id == market.staff.id
    assert order.total_cents == 1500
    assert reserved(carrots) == 5_000

    colleague = staff_of(market.grocery)
    ordering.change_order(order, {carrots.id: 2_000, eggs.id: 3_000}, now=now, by=colleague)
    assert order.total_cents == 600 + 1200
    assert reserved(carrots) == 2_000 and reserved(eggs) == 3_000

    ordering.cancel_order(order, now=now, by=colleague)
    db.session.commit()
    assert order.status == "cancelled"
    assert reserved(carrots) == 0 and reserved(eggs) == 0
    # The producer invoices the grocery: no line on anyone's statement, ever.
    assert ledger_entries() == 0


def test_only_the_grocerys_staff_may_buy_for_it(market):
    carrots = market.shop.offer()
    member = market.shop.member()
    other_staff = staff_of(factories.GroceryFactory())
    for person in (member, other_staff):
        with pytest.raises(DomainError, match="Seule l'équipe de l'épicerie"):
            ordering.place_order(
                person, market.day, {carrots.id: 1_000}, now=utcnow(), grocery=market.grocery
            )
    order = ordering.place_order(
        market.staff, market.day, {carrots.id: 1_000}, now=utcnow(), grocery=market.grocery
    )
    with pytest.raises(DomainError, match="Seule l'équipe de l'épicerie"):
        ordering.change_order(order, {carrots.id: 2_000}, now=utcnow(), by=member)
    with pytest.raises(DomainError, match="Seule l'équipe de l'épicerie"):
        ordering.cancel_order(order, now=utcnow(), by=other_staff)


def test_one_live_purchase_per_grocery_and_day(market):
    carrots = market.shop.offer()
    ordering.place_order(
        market.staff, market.day, {carrots.id: 1_000}, now=utcnow(), grocery=market.grocery
    )
    with pytest.raises(DomainError, match="L'épicerie a déjà un achat"):
        ordering.place_order(
            staff_of(market.grocery),
            market.day,
            {carrots.id: 1_000},
            now=utcnow(),
            grocery=market.grocery,
        )
    # Another grocery buys on the same day.
    other = factories.GroceryFactory()
    ordering.place_order(
        staff_of(other), market.day, {carrots.id: 1_000}, now=utcnow(), grocery=other
    )
    assert db.session.scalar(select(func.count(Order.id))) == 2


def test_a_staff_members_own_order_and_the_grocerys_purchase_are_two_orders(market):
    carrots = market.shop.offer()
    factories.MembershipFactory(user=market.staff, organisation=market.shop.group, role="member")
    own = ordering.place_order(market.staff, market.day, {carrots.id: 1_000}, now=utcnow())
    purchase = ordering.place_order(
        market.staff, market.day, {carrots.id: 2_000}, now=utcnow(), grocery=market.grocery
    )
    db.session.commit()

    assert own.id != purchase.id
    assert ordering.live_order(market.staff.id, market.day.id).id == own.id
    assert ordering.live_purchase(market.grocery.id, market.day.id).id == purchase.id


def test_the_maximum_per_household_applies_to_the_grocery_as_one_buyer(market):
    eggs = market.shop.offer(name="Œufs", unit="douzaine", max_per_household_milli=2_000)
    db.session.commit()
    with pytest.raises(DomainError, match="au plus par foyer") as refused:
        ordering.place_order(
            market.staff, market.day, {eggs.id: 3_000}, now=utcnow(), grocery=market.grocery
        )
    assert refused.value.field == ordering.quantity_field(eggs.id)
    db.session.rollback()  # as the view does
    # The staff member's own household keeps its own maximum: the purchase does not count.
    ordering.place_order(
        market.staff, market.day, {eggs.id: 2_000}, now=utcnow(), grocery=market.grocery
    )
    member = market.shop.member()
    ordering.place_order(member, market.day, {eggs.id: 2_000}, now=utcnow())


def test_over_stock_window_closed_and_fractional_piece_are_refused(market):
    carrots = market.shop.offer(quantity_milli=3_000)
    bread = market.shop.offer(name="Pain", unit="piece")
    db.session.commit()
    with pytest.raises(DomainError, match="il en reste 3 kg"):
        ordering.place_order(
            market.staff, market.day, {carrots.id: 4_000}, now=utcnow(), grocery=market.grocery
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="nombre entier"):
        ordering.place_order(
            market.staff, market.day, {bread.id: 1_500}, now=utcnow(), grocery=market.grocery
        )
    db.session.rollback()
    late = market.day.order_closes_at + timedelta(minutes=1)
    with pytest.raises(DomainError, match="pas ouvertes"):
        ordering.place_order(
            market.staff, market.day, {carrots.id: 1_000}, now=late, grocery=market.grocery
        )
    db.session.rollback()
    assert reserved(carrots) == 0
    assert db.session.scalar(select(func.count(Order.id))) == 0


# --- reception into the stock -------------------------------------------------------------------


def placed_purchase(market, **quantities_by_offer):
    order = ordering.place_order(
        market.staff,
        market.day,
        {offer.id: milli for offer, milli in quantities_by_offer.values()},
        now=utcnow(),
        grocery=market.grocery,
    )
    db.session.commit()
    return order


def after_the_day(market):
    return market.day.ends_at + timedelta(minutes=1)


def test_reception_turns_each_line_into_a_stock_item(market):
    carrots = market.shop.offer(name="Carottes", price_cents=300)
    bread = market.shop.offer(name="Pain", unit="piece", category="pain", price_cents=250)
    order = placed_purchase(market, a=(carrots, 5_000), b=(bread, 4_000))
    lines = {line.availability_id: line for line in order.lines}
    receipts = {
        lines[carrots.id].id: purchases.LineReceipt("4,5", 350),
        lines[bread.id].id: purchases.LineReceipt("4", 280),
    }
    today = market.day.day
    items = purchases.receive_purchase(
        order, receipts, received_on=today, now=after_the_day(market)
    )
    db.session.commit()

    by_name = {item.name: item for item in items}
    assert by_name["Carottes"].quantity_milli == 4_500  # less than ordered is allowed
    assert by_name["Carottes"].shelf_price_cents == 350
    assert by_name["Carottes"].unit == "kg" and by_name["Carottes"].category == "legumes"
    assert by_name["Pain"].quantity_milli == 4_000 and by_name["Pain"].category == "pain"
    for item in items:
        assert item.source == "purchase"
        assert item.grocery_id == market.grocery.id
        assert item.producer_id == market.shop.producer.id
        assert item.received_on == today
    assert {item.order_line_id for item in items} == {line.id for line in order.lines}
    assert purchases.live_purchases(market.grocery.id, after_the_day(market)) == []


def test_reception_refuses_more_than_ordered_and_saves_nothing(market):
    carrots = market.shop.offer(name="Carottes")
    leeks = market.shop.offer(name="Poireaux", unit="botte")
    order = placed_purchase(market, a=(carrots, 2_000), b=(leeks, 3_000))
    lines = {line.availability_id: line for line in order.lines}
    receipts = {
        lines[carrots.id].id: purchases.LineReceipt("2", 300),
        lines[leeks.id].id: purchases.LineReceipt("4", 200),
    }
    with pytest.raises(DomainError, match="Plus que la quantité achetée") as refused:
        purchases.receive_purchase(
            order, receipts, received_on=market.day.day, now=after_the_day(market)
        )
    assert refused.value.field == purchases.quantity_field(lines[leeks.id].id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(StockItem.id))) == 0


def test_reception_waits_for_the_day_unless_ticked_collected(market):
    carrots = market.shop.offer()
    order = placed_purchase(market, a=(carrots, 1_000))
    receipts = {order.lines[0].id: purchases.LineReceipt("1", 300)}
    with pytest.raises(DomainError, match="après la distribution"):
        purchases.receive_purchase(order, receipts, received_on=market.day.day, now=utcnow())
    order.pickup_state = "collected"  # ticked on the day's checklist
    items = purchases.receive_purchase(order, receipts, received_on=market.day.day, now=utcnow())
    assert len(items) == 1


def test_a_second_reception_creates_nothing(market):
    carrots = market.shop.offer()
    order = placed_purchase(market, a=(carrots, 1_000))
    receipts = {order.lines[0].id: purchases.LineReceipt("1", 300)}
    purchases.receive_purchase(
        order, receipts, received_on=market.day.day, now=after_the_day(market)
    )
    db.session.commit()
    with pytest.raises(DomainError, match="déjà entré en stock"):
        purchases.receive_purchase(
            order, receipts, received_on=market.day.day, now=after_the_day(market)
        )
    assert db.session.scalar(select(func.count(StockItem.id))) == 1


def test_a_racing_second_reception_is_refused_by_the_unique_line(market, monkeypatch):
    """Two submits that both saw the line waiting: the unique order_line_id refuses the second
    one, which gets words, and the transaction stays usable."""
    carrots = market.shop.offer()
    order = placed_purchase(market, a=(carrots, 1_000))
    receipts = {order.lines[0].id: purchases.LineReceipt("1", 300)}
    purchases.receive_purchase(
        order, receipts, received_on=market.day.day, now=after_the_day(market)
    )
    monkeypatch.setattr(purchases, "stocked_line_ids", lambda order: set())
    with pytest.raises(DomainError, match="déjà entré en stock"):
        purchases.receive_purchase(
            order, receipts, received_on=market.day.day, now=after_the_day(market)
        )
    db.session.commit()  # the first reception is kept
    assert db.session.scalar(select(func.count(StockItem.id))) == 1


def test_lists_of_open_days_and_purchases(market):
    carrots = market.shop.offer()
    # A day of another group with nothing published is not offered.
    factories.DistributionDayFactory(
        order_opens_at=utcnow() - timedelta(days=1),
        order_closes_at=utcnow() + timedelta(days=1),
        starts_at=utcnow() + timedelta(days=2),
        ends_at=utcnow() + timedelta(days=2, hours=2),
    )
    days = purchases.open_days(market.grocery.id, utcnow())
    assert [(d.distribution_day_id, d.purchase_id) for d in days] == [(market.day.id, None)]
    order = placed_purchase(market, a=(carrots, 1_000))
    days = purchases.open_days(market.grocery.id, utcnow())
    assert [d.purchase_id for d in days] == [order.id]
    [listed] = purchases.live_purchases(market.grocery.id, utcnow())
    assert listed.order_id == order.id and listed.window_open(utcnow())
    assert listed.receivable(after_the_day(market)) and not listed.receivable(utcnow())
