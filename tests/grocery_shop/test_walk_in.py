"""Walk-in sales at a stop: prices, stock, replays, refusals, voids and the page's panel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.grocery_shop.walk_in import (
    SaleIn,
    SaleStatus,
    record_sales,
    sales_panel,
    sync_batch,
    void_sale,
)
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.helpers import count_queries


@pytest.fixture
def world():
    van = make_run()
    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=van.grocery, role=Role.GROCERY_STAFF.value)
    db.session.flush()
    return van, staff


def a_sale(stock_item, milli=1000, beneficiary=None, sale_id=None, **extra) -> SaleIn:
    return SaleIn(
        sale_id=sale_id or str(uuid.uuid4()),
        stock_item_id=stock_item.id,
        quantity_milli=milli,
        beneficiary_id=beneficiary.id if beneficiary else None,
        sold_at=extra.pop("sold_at", utcnow()),
        device_id="phone-1",
        **extra,
    )


def stock_of(stock_item) -> tuple[int, int]:
    db.session.expire_all()
    fresh = db.session.get(StockItem, stock_item.id)
    return fresh.quantity_milli, fresh.reserved_milli


def sale_count() -> int:
    return db.session.scalar(select(func.count(WalkInSale.id)))


def test_full_price_sale_without_a_card_takes_stock_off_the_shelf(world):
    van, staff = world
    carrots = item(van.grocery, name="Carottes", unit="kg", shelf_price_cents=335)
    sale = a_sale(carrots, 1500)

    [result] = record_sales(van.stops[0], staff, [sale], utcnow())

    assert result.status == SaleStatus.APPLIED
    assert stock_of(carrots) == (18_500, 0)
    stored = db.session.scalar(select(WalkInSale))
    assert (stored.tier_percent, stored.unit_price_cents, stored.total_cents) == (100, 335, 503)
    assert stored.sold_by_id == staff.id and stored.device_id == "phone-1"
    assert stored.beneficiary_id is None


def test_beneficiary_pays_their_tier(world):
    van, staff = world
    carrots = item(van.grocery, shelf_price_cents=335)
    family = household(van.grocery, tier_percent=30)

    [result] = record_sales(van.stops[0], staff, [a_sale(carrots, 2000, family)], utcnow())

    assert result.status == SaleStatus.APPLIED
    stored = db.session.scalar(select(WalkInSale))
    # 30 % of 3,35 € = 1,005 € → 1,01 € (half up), × 2 kg.
    assert (stored.tier_percent, stored.unit_price_cents, stored.total_cents) == (30, 101, 202)
    assert stored.shelf_price_cents == 335


def test_replay_and_duplicate_in_one_batch_are_stored_once(world):
    van, staff = world
    carrots = item(van.grocery)
    sale = a_sale(carrots, 1000)

    first = record_sales(van.stops[0], staff, [sale, sale], utcnow())
    replay = record_sales(van.stops[0], staff, [sale], utcnow())

    assert [r.status for r in first] == [SaleStatus.APPLIED, SaleStatus.ALREADY_APPLIED]
    assert replay[0].status == SaleStatus.ALREADY_APPLIED
    assert sale_count() == 1
    assert stock_of(carrots) == (19_000, 0)


def test_pre_ordered_units_are_never_sold(world):
    van, staff = world
    carrots = item(van.grocery, name="Carottes", quantity_milli=5000, reserved_milli=3000)
    other = item(van.grocery)

    results = record_sales(
        van.stops[0], staff, [a_sale(carrots, 2500), a_sale(other, 1000)], utcnow()
    )

    assert results[0].status == SaleStatus.REFUSED
    assert results[0].message == "« Carottes » : il n'en reste que 2 kg hors précommandes."
    assert results[1].status == SaleStatus.APPLIED  # a refusal is per sale
    assert stock_of(carrots) == (5000, 3000)
    assert sale_count() == 1


def test_nothing_free_left_says_so(world):
    van, staff = world
    jars = item(van.grocery, name="Miel", unit="bocal", quantity_milli=2000, reserved_milli=2000)

    [result] = record_sales(van.stops[0], staff, [a_sale(jars, 1000)], utcnow())

    assert result.message == "« Miel » : il n'en reste plus hors précommandes."


def test_whole_units_and_bad_quantities_are_refused(world):
    van, staff = world
    jars = item(van.grocery, unit="bocal")

    results = record_sales(van.stops[0], staff, [a_sale(jars, 1500), a_sale(jars, 0)], utcnow())

    assert [r.message for r in results] == [
        "Ce produit se vend à l'unité : indiquez un nombre entier.",
        "La quantité doit être supérieure à zéro.",
    ]
    assert sale_count() == 0


def test_expired_tier_is_refused_with_its_reason(world):
    van, staff = world
    carrots = item(van.grocery)
    expired = household(
        van.grocery,
        valid_from=paris_today() - timedelta(days=400),
        valid_until=paris_today() - timedelta(days=1),
    )

    [result] = record_sales(van.stops[0], staff, [a_sale(carrots, 1000, expired)], utcnow())

    assert result.status == SaleStatus.REFUSED
    assert result.message.startswith("Les droits de ce foyer ont expiré le ")
    assert sale_count() == 0
    assert stock_of(carrots) == (20_000, 0)


def test_product_or_household_of_another_grocery_is_refused(world):
    van, staff = world
    elsewhere = factories.GroceryFactory()
    their_item = item(elsewhere)
    their_household = household(elsewhere)
    ours = item(van.grocery)

    results = record_sales(
        van.stops[0],
        staff,
        [a_sale(their_item, 1000), a_sale(ours, 1000, their_household)],
        utcnow(),
    )

    assert [r.message for r in results] == [
        "Ce produit n'est pas dans le stock de l'épicerie.",
        "Ce foyer n'est pas inscrit à l'épicerie.",
    ]
    assert sale_count() == 0
    assert stock_of(their_item) == (20_000, 0)


def test_phone_clock_ahead_is_capped(world):
    van, staff = world
    now = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)

    record_sales(
        van.stops[0], staff, [a_sale(item(van.grocery), sold_at=now + timedelta(hours=3))], now
    )

    assert db.session.scalar(select(WalkInSale.sold_at)) == now + timedelta(minutes=5)


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_closed_or_cancelled_run_refuses_the_whole_batch(world, state):
    van, staff = world
    carrots = item(van.grocery)
    if state == "closed":
        factories.RunClosingFactory(run=van.run)
        message = "Cette tournée est clôturée : les ventes ne peuvent plus changer."
    else:
        van.run.status = "cancelled"
        message = "Cette tournée est annulée : aucune vente ne peut y être enregistrée."
    db.session.flush()

    results = record_sales(van.stops[0], staff, [a_sale(carrots), a_sale(carrots)], utcnow())

    assert {(r.status, r.message) for r in results} == {(SaleStatus.REFUSED, message)}
    assert sale_count() == 0


def test_someone_outside_the_grocery_staff_may_not_sell(world):
    van, _staff = world
    carrots = item(van.grocery)
    volunteer = factories.UserFactory()
    factories.MembershipFactory(user=volunteer, organisation=van.grocery, role="volunteer")
    other_staff = factories.UserFactory()
    factories.MembershipFactory(
        user=other_staff, organisation=factories.GroceryFactory(), role="grocery_staff"
    )

    for user in (volunteer, other_staff):
        [result] = record_sales(van.stops[0], user, [a_sale(carrots)], utcnow())
        assert result.status == SaleStatus.REFUSED
    assert sale_count() == 0


def test_site_admin_may_sell(world):
    van, _staff = world
    [result] = record_sales(
        van.stops[0], factories.UserFactory(is_admin=True), [a_sale(item(van.grocery))], utcnow()
    )
    assert result.status == SaleStatus.APPLIED


def test_void_puts_the_quantity_back_once(world):
    van, staff = world
    carrots = item(van.grocery)
    sale = a_sale(carrots, 1500)
    record_sales(van.stops[0], staff, [sale], utcnow())

    first = void_sale(sale.sale_id, staff, utcnow())
    second = void_sale(sale.sale_id, staff, utcnow())

    assert (first.status, second.status) == (SaleStatus.APPLIED, SaleStatus.ALREADY_APPLIED)
    assert stock_of(carrots) == (20_000, 0)
    stored = db.session.scalar(select(WalkInSale))
    assert stored.voided_at is not None and stored.voided_by_id == staff.id


def test_sale_and_its_void_in_one_batch(world):
    """A sale made and voided offline reaches the server in one batch: the void comes after."""
    van, staff = world
    carrots = item(van.grocery)
    sale = a_sale(carrots, 1000)

    sales, voids = sync_batch(van.stops[0], staff, [sale], [sale.sale_id], utcnow())

    assert sales[0].status == voids[0].status == SaleStatus.APPLIED
    assert stock_of(carrots) == (20_000, 0)


def test_void_of_an_unknown_sale_or_another_stop_is_refused(world):
    van, staff = world
    sale = a_sale(item(van.grocery))
    record_sales(van.stops[0], staff, [sale], utcnow())

    _sales, voids = sync_batch(van.stops[1], staff, [], [sale.sale_id, "nope"], utcnow())

    assert [v.message for v in voids] == ["Cette vente n'existe pas à cet arrêt."] * 2
    assert void_sale("nope", staff, utcnow()).status == SaleStatus.REFUSED


def test_void_refused_once_the_run_is_closed(world):
    van, staff = world
    carrots = item(van.grocery)
    sale = a_sale(carrots)
    record_sales(van.stops[0], staff, [sale], utcnow())
    factories.RunClosingFactory(run=van.run)
    db.session.flush()

    assert void_sale(sale.sale_id, staff, utcnow()).status == SaleStatus.REFUSED
    assert stock_of(carrots) == (19_000, 0)


def test_panel_lists_free_stock_eligible_households_sales_and_takings(world):
    van, staff = world
    carrots = item(van.grocery, name="Carottes", quantity_milli=5000, reserved_milli=3000)
    item(van.grocery, name="Épuisé", quantity_milli=2000, reserved_milli=2000)
    family = household(van.grocery, household_name="Foyer Martin", tier_percent=50)
    household(van.grocery, household_name="Foyer Archivé", archived=True)
    household(van.grocery, household_name="Foyer Expiré", valid_until=paris_today())
    first, second = a_sale(carrots, 1000), a_sale(carrots, 500, family)
    record_sales(van.stops[0], staff, [first, second], utcnow())
    void_sale(first.sale_id, staff, utcnow())

    panel = sales_panel(van.stops[0])

    assert [(i.name, i.free_milli) for i in panel.items] == [("Carottes", 1500)]
    # The run is a week ahead: a tier ending today is no longer valid on the run's day.
    assert [h.name for h in panel.households] == ["Foyer Martin"]
    assert [(s.sale_id, s.voided, s.household_name) for s in panel.sales] == [
        (second.sale_id, False, "Foyer Martin"),
        (first.sale_id, True, None),
    ]
    assert panel.takings_cents == 45  # 50 % of 1,80 € for 0,5 kg; the voided sale not counted
    assert panel.closed is False


def test_panel_queries_do_not_grow_with_the_data(world):
    van, staff = world

    def queries() -> int:
        db.session.commit()
        db.session.expire_all()
        stop = db.session.get(type(van.stops[0]), van.stops[0].id)
        with count_queries() as counter:
            sales_panel(stop)
        return counter.count

    carrots = item(van.grocery)
    record_sales(van.stops[0], staff, [a_sale(carrots)], utcnow())
    small = queries()
    for _index in range(5):
        stock_item = item(van.grocery)
        family = household(van.grocery)
        record_sales(van.stops[0], staff, [a_sale(stock_item, 1000, family)], utcnow())
    assert queries() == small
