"""A pre-order that would load the van beyond its capacity is refused, nothing saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.loading import van_fill
from marketplace.grocery_shop.models import PreOrder, StockItem
from marketplace.grocery_shop.preorders import change_preorder, place_preorder
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run


def reserved(stock_item_id: int) -> int:
    db.session.expire_all()
    return db.session.get(StockItem, stock_item_id).reserved_milli


def test_a_household_beyond_the_vans_crates_is_refused_and_nothing_is_reserved():
    van = make_run(capacity_crates=2, capacity_kg=None)
    staff = factories.UserFactory()
    eggs = item(van.grocery, name="Œufs", unit="piece", quantity_milli=60_000)
    for _ in range(2):
        place_preorder(
            household(van.grocery), van.stops[0], {eggs.id: 6000}, by=staff, now=utcnow()
        )
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        place_preorder(
            household(van.grocery), van.stops[1], {eggs.id: 6000}, by=staff, now=utcnow()
        )
    db.session.rollback()

    assert "Le camion est plein pour cette tournée : 2 caisses au plus." in refused.value.message
    assert db.session.scalar(select(func.count(PreOrder.id))) == 2
    assert reserved(eggs.id) == 12_000


def test_kilos_beyond_the_vans_capacity_are_refused_but_lowering_is_always_allowed():
    van = make_run(capacity_crates=10, capacity_kg=20)
    staff = factories.UserFactory()
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", quantity_milli=100_000)
    eggs = item(van.grocery, name="Œufs", unit="piece", quantity_milli=60_000)
    pre_order = place_preorder(
        household(van.grocery), van.stops[0], {potatoes.id: 15_000}, by=staff, now=utcnow()
    )
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        change_preorder(pre_order, {potatoes.id: 25_000}, now=utcnow())
    db.session.rollback()
    assert "ne peut pas emporter plus de 20 kg" in refused.value.message
    assert reserved(potatoes.id) == 15_000

    # Pieces travel in the crates: they do not count against the kilos.
    change_preorder(pre_order, {potatoes.id: 15_000, eggs.id: 12_000}, now=utcnow())
    db.session.commit()
    fill = van_fill(van.run.id)
    assert (fill.crates, fill.weighed_milli) == (1, 15_000)

    # The van was swapped for a smaller one: the household may still order less.
    van.route.van.capacity_kg = 10
    db.session.commit()
    change_preorder(pre_order, {potatoes.id: 12_000}, now=utcnow())
    db.session.commit()
    assert reserved(potatoes.id) == 12_000


def test_the_staff_page_shows_the_full_van_message(client, login):
    van = make_run(capacity_crates=1, capacity_kg=None)
    staff = factories.UserFactory()
    eggs = item(van.grocery, name="Œufs", unit="piece", quantity_milli=60_000)
    place_preorder(household(van.grocery), van.stops[0], {eggs.id: 6000}, by=staff, now=utcnow())
    late = household(van.grocery, household_name="Famille Tardive")
    manager = factories.UserFactory()
    factories.MembershipFactory(user=manager, organisation=van.grocery, role="grocery_staff")
    db.session.commit()
    login(manager)

    page = client.post(
        f"/epiceries/{van.grocery.slug}/precommandes/saisie"
        f"?beneficiaire={late.id}&arret={van.stops[1].id}",
        data={f"q-{eggs.id}": "6"},
    )

    assert "Le camion est plein pour cette tournée" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PreOrder.id))) == 1
