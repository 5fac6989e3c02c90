"""Placing, changing and cancelling orders: stock, totals, the ledger, and every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Availability
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from marketplace.shop import ordering
from marketplace.shop.models import Order, OrderLine
from tests import factories
from tests.helpers import count_queries
from tests.shop.helpers import make_shop, open_day


def reserved(availability: Availability) -> int:
    return db.session.scalar(
        select(Availability.reserved_milli).where(Availability.id == availability.id)
    )


def entries(user) -> list[tuple[str, int, int | None]]:
    rows = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.order_id)
        .where(LedgerEntry.user_id == user.id)
        .order_by(LedgerEntry.id)
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def shop(app):
    return make_shop()


def test_placing_an_order_reserves_stock_and_charges_the_ledger(shop):
    carrots = shop.offer(name="Carottes", unit="kg", price_cents=335, quantity_milli=10_000)
    leeks = shop.offer(name="Poireaux", unit="botte", price_cents=250, quantity_milli=None)
    member = shop.member()

    order = ordering.place_order(
        member, shop.day, {carrots.id: 1_500, leeks.id: 2_000}, now=utcnow()
    )
    db.session.commit()

    # 1,5 kg at 3,35 € = 5,025 € → 5,03 €; 2 bottes at 2,50 € = 5,00 €
    assert [line.total_cents for line in order.lines] == [503, 500]
    assert order.total_cents == 1003
    assert reserved(carrots) == 1_500
    assert reserved(leeks) == 2_000
    assert entries(member) == [("commitment", -1003, order.id)]
    assert balance_cents(member.id, shop.group.id) == -1003


def test_coordinators_may_order_too(shop):
    carrots = shop.offer()
    coordinator = shop.member(role="coordinator")
    order = ordering.place_order(coordinator, shop.day, {carrots.id: 1_000}, now=utcnow())
    assert order.total_cents == carrots.price_cents


def test_changing_an_order_moves_stock_and_books_the_difference(shop):
    carrots = shop.offer(price_cents=300, quantity_milli=10_000)
    eggs = shop.offer(name="Œufs", unit="douzaine", price_cents=400, quantity_milli=5_000)
    member = shop.member()
    order = ordering.place_order(member, shop.day, {carrots.id: 2_000}, now=utcnow())

    ordering.change_order(order, {carrots.id: 1_000, eggs.id: 2_000}, now=utcnow())
    assert order.total_cents == 300 + 800
    assert reserved(carrots) == 1_000
    assert reserved(eggs) == 2_000

    ordering.change_order(order, {eggs.id: 1_000}, now=utcnow())
    db.session.commit()
    assert order.total_cents == 400
    assert reserved(carrots) == 0
    assert reserved(eggs) == 1_000
    assert [line.availability_id for line in order.lines] == [eggs.id]
    assert entries(member) == [
        ("commitment", -600, order.id),
        ("adjustment", -500, order.id),
        ("credit", 700, order.id),
    ]
    assert balance_cents(member.id, shop.group.id) == -400


def test_cancelling_returns_the_units_and_credits_the_amount(shop):
    carrots = shop.offer(price_cents=300, quantity_milli=3_000)
    member = shop.member()
    order = ordering.place_order(member, shop.day, {carrots.id: 3_000}, now=utcnow())

    ordering.cancel_order(order, now=utcnow())
    db.session.commit()

    assert order.status == "cancelled"
    assert reserved(carrots) == 0
    assert balance_cents(member.id, shop.group.id) == 0
    # The units are back on sale: someone else can take all three.
    other = ordering.place_order(shop.member(), shop.day, {carrots.id: 3_000}, now=utcnow())
    assert other.total_cents == 900
    # And the first household may order again for that day (its cancelled order is not live).
    shop_again = shop.offer(quantity_milli=None)
    assert ordering.place_order(member, shop.day, {shop_again.id: 1_000}, now=utcnow())


def test_the_server_price_is_used_whatever_the_catalogue_says_later(shop):
    carrots = shop.offer(price_cents=300)
    carrots.product.price_cents = 1  # the catalogue price is not the day's price
    order = ordering.place_order(shop.member(), shop.day, {carrots.id: 1_000}, now=utcnow())
    assert order.lines[0].unit_price_cents == 300


# --- refusals: a clear message, nothing changed -------------------------------------------------


def assert_refused(shop, availability, call, message: str) -> None:
    before_orders = db.session.scalar(select(db.func.count(Order.id)))
    before_reserved = reserved(availability)
    with pytest.raises(DomainError) as refused:
        call()
    db.session.rollback()
    assert message in refused.value.message
    assert db.session.scalar(select(db.func.count(Order.id))) == before_orders
    assert reserved(availability) == before_reserved
    assert db.session.scalar(select(db.func.count(LedgerEntry.id))) == 0


@pytest.mark.parametrize(
    ("unit", "milli", "message"),
    [
        ("piece", 0, "supérieure à zéro"),
        ("kg", -1_000, "supérieure à zéro"),
        ("piece", 1_500, "nombre entier"),
        ("bocal", 500, "nombre entier"),
    ],
)
def test_bad_quantities_are_refused(shop, unit, milli, message):
    offer = shop.offer(unit=unit)
    member = shop.member()
    db.session.commit()
    assert_refused(
        shop,
        offer,
        lambda: ordering.place_order(member, shop.day, {offer.id: milli}, now=utcnow()),
        message,
    )


def test_over_the_household_maximum_is_refused(shop):
    honey = shop.offer(name="Miel", unit="bocal", max_per_household_milli=2_000)
    member = shop.member()
    db.session.commit()
    assert_refused(
        shop,
        honey,
        lambda: ordering.place_order(member, shop.day, {honey.id: 3_000}, now=utcnow()),
        "« Miel » : 2 bocaux au plus par foyer",
    )


def test_the_maximum_counts_the_households_other_orders_of_that_date(shop):
    honey = shop.offer(name="Miel", unit="bocal", max_per_household_milli=2_000)
    member = shop.member()
    # Another pickup point of the same group, the same date: the same stock, the same maximum.
    point = factories.PickupPointFactory(group=shop.group)
    other_day = open_day(
        shop.group,
        schedule=factories.DistributionScheduleFactory(pickup_point=point),
        occurrence_date=shop.day.day,
    )
    ordering.place_order(member, other_day, {honey.id: 2_000}, now=utcnow())
    with pytest.raises(DomainError, match="au plus par foyer"):
        ordering.place_order(member, shop.day, {honey.id: 1_000}, now=utcnow())


def test_a_closed_window_is_refused(shop):
    carrots = shop.offer()
    member = shop.member()
    shop.day.order_closes_at = utcnow() - timedelta(minutes=1)
    shop.day.order_opens_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert_refused(
        shop,
        carrots,
        lambda: ordering.place_order(member, shop.day, {carrots.id: 1_000}, now=utcnow()),
        "Les commandes ne sont pas ouvertes",
    )


def test_changing_or_cancelling_after_the_window_is_refused(shop):
    carrots = shop.offer()
    order = ordering.place_order(shop.member(), shop.day, {carrots.id: 1_000}, now=utcnow())
    later = shop.day.order_closes_at + timedelta(seconds=1)
    with pytest.raises(DomainError, match="ne sont pas ouvertes"):
        ordering.change_order(order, {carrots.id: 2_000}, now=later)
    with pytest.raises(DomainError, match="ne peut plus être annulée"):
        ordering.cancel_order(order, now=later)


def test_a_product_of_another_groups_day_is_refused(shop):
    elsewhere = make_shop()
    foreign = elsewhere.offer(name="Pommes")
    member = shop.member()
    db.session.commit()
    assert_refused(
        shop,
        foreign,
        lambda: ordering.place_order(member, shop.day, {foreign.id: 1_000}, now=utcnow()),
        "n'est pas proposé pour cette distribution",
    )


def test_an_unknown_or_unpublished_availability_is_refused(shop):
    hidden = shop.offer(published=False)
    member = shop.member()
    db.session.commit()
    for availability_id in (hidden.id, 999_999):
        assert_refused(
            shop,
            hidden,
            lambda availability_id=availability_id: ordering.place_order(
                member, shop.day, {availability_id: 1_000}, now=utcnow()
            ),
            "n'est pas proposé pour cette distribution",
        )


def test_someone_outside_the_group_cannot_order(shop):
    carrots = shop.offer()
    outsider = factories.UserFactory()
    db.session.commit()
    assert_refused(
        shop,
        carrots,
        lambda: ordering.place_order(outsider, shop.day, {carrots.id: 1_000}, now=utcnow()),
        "Seul·es les adhérent·es du groupe",
    )


def test_not_enough_stock_names_the_product_and_what_is_left(shop):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=2_500)
    member = shop.member()
    db.session.commit()
    assert_refused(
        shop,
        carrots,
        lambda: ordering.place_order(member, shop.day, {carrots.id: 3_000}, now=utcnow()),
        "« Carottes » n'est plus disponible dans cette quantité : il en reste 2,5 kg.",
    )


def test_a_failed_line_undoes_the_lines_reserved_before_it(shop):
    plenty = shop.offer(quantity_milli=10_000)
    scarce = shop.offer(quantity_milli=1_000)
    member = shop.member()
    db.session.commit()
    with pytest.raises(DomainError, match="n'est plus disponible"):
        ordering.place_order(member, shop.day, {plenty.id: 1_000, scarce.id: 2_000}, now=utcnow())
    db.session.rollback()
    assert reserved(plenty) == 0
    assert db.session.scalar(select(db.func.count(OrderLine.id))) == 0


def test_an_empty_cart_and_a_second_order_are_refused(shop):
    carrots = shop.offer()
    member = shop.member()
    with pytest.raises(DomainError, match="panier est vide"):
        ordering.place_order(member, shop.day, {}, now=utcnow())
    order = ordering.place_order(member, shop.day, {carrots.id: 1_000}, now=utcnow())
    with pytest.raises(DomainError, match="déjà une commande"):
        ordering.place_order(member, shop.day, {carrots.id: 1_000}, now=utcnow())
    with pytest.raises(DomainError, match="annulez la commande"):
        ordering.change_order(order, {}, now=utcnow())


def test_a_sold_out_product_is_refused_before_anything_is_written_or_locked(shop):
    """In a last-units rush most orders are refused: they must not insert an order nor queue
    on the product's row behind the orders being placed."""
    plenty = shop.offer(quantity_milli=10_000)
    gone = shop.offer(name="Bûche", unit="piece", quantity_milli=2_000, reserved_milli=2_000)
    member = shop.member()
    db.session.commit()
    with count_queries() as counter, pytest.raises(DomainError) as refused:
        ordering.place_order(member, shop.day, {plenty.id: 1_000, gone.id: 1_000}, now=utcnow())
    assert str(refused.value.message) == "« Bûche » n'est plus disponible."
    assert refused.value.field == f"q-{gone.id}"
    writes = [s for s in counter.statements if s.split()[0].upper() in {"INSERT", "UPDATE"}]
    assert writes == []
    assert not any("FOR UPDATE" in statement for statement in counter.statements)
    db.session.rollback()
    assert reserved(plenty) == 0
    assert db.session.scalar(select(db.func.count(Order.id))) == 0


def test_a_change_is_checked_against_what_it_adds_only(shop):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=3_000)
    member = shop.member()
    order = ordering.place_order(member, shop.day, {carrots.id: 2_500}, now=utcnow())
    db.session.commit()

    # 0,5 kg left: asking 1 kg more is refused, keeping or lowering is not.
    with pytest.raises(DomainError, match="il en reste 0,5 kg"):
        ordering.change_order(order, {carrots.id: 3_500}, now=utcnow())
    db.session.rollback()
    ordering.change_order(order, {carrots.id: 3_000}, now=utcnow())
    ordering.change_order(order, {carrots.id: 1_000}, now=utcnow())
    db.session.commit()
    assert reserved(carrots) == 1_000
