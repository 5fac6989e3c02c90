"""Placing, changing and cancelling pre-orders: prices at the tier, stock reserved, the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, StockItem
from marketplace.grocery_shop.preorders import (
    cancel_preorder,
    change_preorder,
    cutoff_at,
    place_preorder,
    tier_unit_price,
)
from marketplace.timezones import paris_today
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run


@pytest.fixture
def world():
    van = make_run()
    staff = factories.UserFactory()
    return van, staff


def reserved(stock_item_id: int) -> int:
    db.session.expire_all()
    return db.session.get(StockItem, stock_item_id).reserved_milli


def pre_order_count() -> int:
    return db.session.scalar(select(func.count(PreOrder.id)))


def test_tier_price_is_rounded_to_the_cent_per_unit():
    assert tier_unit_price(180, 30) == 54
    assert tier_unit_price(333, 30) == 100  # 99,9 cents → 1,00 €
    assert tier_unit_price(335, 10) == 34  # 33,5 cents → half up
    assert tier_unit_price(250, 100) == 250


def test_place_reserves_stock_and_prices_at_the_tier(world):
    van, staff = world
    family = household(van.grocery, tier_percent=30)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", shelf_price_cents=333)
    eggs = item(van.grocery, name="Œufs", unit="piece", shelf_price_cents=40, quantity_milli=30_000)

    pre_order = place_preorder(
        family, van.stops[0], {potatoes.id: 1500, eggs.id: 6000}, by=staff, now=utcnow()
    )
    db.session.commit()

    lines = {line.stock_item_id: line for line in pre_order.lines}
    assert lines[potatoes.id].unit_price_cents == 100
    assert lines[potatoes.id].shelf_price_cents == 333
    assert lines[potatoes.id].total_cents == 150  # 1,5 kg at 1,00 €
    assert lines[eggs.id].unit_price_cents == 12
    assert lines[eggs.id].total_cents == 72
    assert pre_order.total_cents == 222
    assert pre_order.tier_percent == 30
    assert pre_order.created_by_id == staff.id
    assert reserved(potatoes.id) == 1500
    assert reserved(eggs.id) == 6000


def test_change_follows_the_difference_and_cancel_releases_everything(world):
    van, staff = world
    family = household(van.grocery)
    potatoes = item(van.grocery, unit="kg")
    leeks = item(van.grocery, unit="botte", quantity_milli=10_000)
    pre_order = place_preorder(
        family, van.stops[0], {potatoes.id: 2000, leeks.id: 1000}, by=staff, now=utcnow()
    )

    change_preorder(pre_order, {potatoes.id: 500}, now=utcnow())
    db.session.commit()
    assert [line.stock_item_id for line in pre_order.lines] == [potatoes.id]
    assert reserved(potatoes.id) == 500
    assert reserved(leeks.id) == 0

    change_preorder(pre_order, {potatoes.id: 3000, leeks.id: 2000}, now=utcnow())
    db.session.commit()
    assert reserved(potatoes.id) == 3000
    assert reserved(leeks.id) == 2000

    cancel_preorder(pre_order, now=utcnow())
    db.session.commit()
    assert pre_order.status == "cancelled"
    assert pre_order.cancelled_at is not None
    assert reserved(potatoes.id) == 0
    assert reserved(leeks.id) == 0


def test_one_live_pre_order_per_household_and_stop(world):
    van, staff = world
    family = household(van.grocery)
    potatoes = item(van.grocery)
    first = place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow())
    db.session.commit()

    with pytest.raises(DomainError, match="déjà une précommande pour cet arrêt"):
        place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow())
    db.session.rollback()

    first = db.session.get(PreOrder, first.id)
    cancel_preorder(first, now=utcnow())
    again = place_preorder(family, van.stops[0], {potatoes.id: 2000}, by=staff, now=utcnow())
    db.session.commit()
    assert again.id != first.id
    assert reserved(potatoes.id) == 2000


def test_a_donated_basket_is_counted_whole(world):
    van, staff = world
    baskets = item(van.grocery, name="Panier AMAP", unit="panier", quantity_milli=3000)
    family = household(van.grocery)
    refused(
        lambda: place_preorder(family, van.stops[0], {baskets.id: 500}, by=staff, now=utcnow()),
        "nombre entier",
        baskets.id,
    )
    place_preorder(family, van.stops[0], {baskets.id: 1000}, by=staff, now=utcnow())
    assert reserved(baskets.id) == 1000


def refused(call, match: str, *stock_ids) -> None:
    """The service refuses with `match`; after the caller's rollback nothing has changed."""
    db.session.commit()  # the test's setup stays; only the refused operation is rolled back
    before = pre_order_count()
    with pytest.raises(DomainError, match=match):
        call()
    db.session.rollback()
    assert pre_order_count() == before
    for stock_item_id in stock_ids:
        assert reserved(stock_item_id) == 0


def test_after_the_cut_off_nothing_is_saved(world, app, monkeypatch):
    van, staff = world
    family = household(van.grocery)
    potatoes = item(van.grocery)
    db.session.commit()
    late = cutoff_at(van.run) + timedelta(minutes=1)
    refused(
        lambda: place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=late),
        "closes : elles ferment 24 h avant le départ",
        potatoes.id,
    )
    # The cut-off is a setting: 2 hours before the departure, the same instant is still open.
    monkeypatch.setitem(app.config, "PREORDER_CUTOFF_HOURS", 2)
    place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=late)
    assert reserved(potatoes.id) == 1000


def test_change_and_cancel_are_refused_after_the_cut_off(world):
    van, staff = world
    family = household(van.grocery)
    potatoes = item(van.grocery)
    pre_order = place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow())
    db.session.commit()
    late = cutoff_at(van.run) + timedelta(seconds=1)
    with pytest.raises(DomainError, match="closes"):
        change_preorder(pre_order, {potatoes.id: 2000}, now=late)
    db.session.rollback()
    with pytest.raises(DomainError, match="ne peut plus être annulée"):
        cancel_preorder(db.session.get(PreOrder, pre_order.id), now=late)
    db.session.rollback()
    assert reserved(potatoes.id) == 1000
    assert db.session.get(PreOrder, pre_order.id).status == "placed"


def test_over_stock_is_refused_with_what_is_left(world):
    van, staff = world
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", quantity_milli=20_000)
    family = household(van.grocery)
    refused(
        lambda: place_preorder(family, van.stops[0], {potatoes.id: 25_000}, by=staff, now=utcnow()),
        "« Pommes de terre » n'est plus disponible dans cette quantité : il en reste 20 kg.",
        potatoes.id,
    )
    other = household(van.grocery)
    place_preorder(other, van.stops[0], {potatoes.id: 20_000}, by=staff, now=utcnow())
    db.session.commit()
    with pytest.raises(DomainError, match="^« Pommes de terre » n'est plus disponible.$"):
        place_preorder(family, van.stops[1], {potatoes.id: 1000}, by=staff, now=utcnow())
    db.session.rollback()
    assert reserved(potatoes.id) == 20_000


def test_an_expired_or_archived_household_is_refused(world):
    van, staff = world
    potatoes = item(van.grocery)
    expired = household(
        van.grocery,
        valid_from=paris_today() - timedelta(days=400),
        valid_until=paris_today() - timedelta(days=1),
    )
    refused(
        lambda: place_preorder(expired, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow()),
        "ont expiré",
        potatoes.id,
    )
    archived = household(van.grocery, archived=True)
    refused(
        lambda: place_preorder(archived, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow()),
        "archivé",
        potatoes.id,
    )


def test_a_fractional_piece_is_refused(world):
    van, staff = world
    eggs = item(van.grocery, unit="piece", quantity_milli=12_000)
    family = household(van.grocery)
    refused(
        lambda: place_preorder(family, van.stops[0], {eggs.id: 1500}, by=staff, now=utcnow()),
        "Ce produit se vend à l'unité",
        eggs.id,
    )


def test_a_cancelled_run_is_refused():
    van = make_run(status="cancelled")
    staff = factories.UserFactory()
    potatoes = item(van.grocery)
    family = household(van.grocery)
    refused(
        lambda: place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow()),
        "Cette tournée est annulée",
        potatoes.id,
    )


def test_another_grocerys_stop_or_stock_is_refused(world):
    van, staff = world
    elsewhere = make_run()
    family = household(van.grocery)
    potatoes = item(van.grocery)
    their_potatoes = item(elsewhere.grocery)
    refused(
        lambda: place_preorder(
            family, elsewhere.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow()
        ),
        "ne fait pas partie des tournées de l'épicerie",
        potatoes.id,
    )
    refused(
        lambda: place_preorder(
            family, van.stops[0], {their_potatoes.id: 1000}, by=staff, now=utcnow()
        ),
        "n'est pas dans le stock de l'épicerie",
        their_potatoes.id,
    )


def test_an_empty_pre_order_is_refused(world):
    van, staff = world
    family = household(van.grocery)
    refused(
        lambda: place_preorder(family, van.stops[0], {}, by=staff, now=utcnow()),
        "au moins un produit",
    )


def test_a_cancelled_runs_pre_order_can_always_be_cancelled(world):
    van, staff = world
    family = household(van.grocery)
    potatoes = item(van.grocery)
    pre_order = place_preorder(family, van.stops[0], {potatoes.id: 1000}, by=staff, now=utcnow())
    van.run.status = "cancelled"  # a breakdown, after the household pre-ordered
    db.session.commit()
    cancel_preorder(pre_order, now=cutoff_at(van.run) + timedelta(hours=1))
    db.session.commit()
    assert reserved(potatoes.id) == 0
