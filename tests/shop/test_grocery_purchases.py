"""A solidarity grocery's purchase in the weekly shop: no ledger entry, and the producer's
harvest list, packing list and delivery sheet show it under the grocery's name, counted in
the totals like any order (pages and CSV files)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.shop import ordering
from tests import factories
from tests.organisations.pages import page_text
from tests.shop.helpers import make_shop
from tests.shop.lists_support import make_farm
from tests.shop.test_lists import read_csv


def test_a_grocery_purchase_books_no_ledger_entry_but_a_household_order_does(app):
    shop = make_shop()
    carrots = shop.offer(price_cents=300)
    grocery = factories.GroceryFactory()
    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=grocery, role="grocery_staff")
    purchase = ordering.place_order(
        staff, shop.day, {carrots.id: 2_000}, now=utcnow(), grocery=grocery
    )
    ordering.change_order(purchase, {carrots.id: 3_000}, now=utcnow(), by=staff)
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0

    member = shop.member()
    ordering.place_order(member, shop.day, {carrots.id: 1_000}, now=utcnow())
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1


@pytest.fixture
def farm(app):
    """Foyer Martin orders 1,5 kg of carrots at the Préau; the Épicerie du Pilat buys 4 kg of
    carrots and 3 loaves there (Awa Diallo placed it)."""
    farm = make_farm()
    farm.offer_product("Carottes", "kg", 320)
    farm.offer_product("Pain de campagne", "piece", 450)
    farm.order(factories.UserFactory(name="Foyer Martin"), "Préau", {"Carottes": 1500})
    grocery = factories.GroceryFactory(name="Épicerie du Pilat")
    purchase = farm.order(
        factories.UserFactory(name="Awa Diallo"),
        "Préau",
        {"Carottes": 4000, "Pain de campagne": 3000},
    )
    purchase.grocery_id = grocery.id
    db.session.commit()
    return farm


@pytest.fixture
def producer_staff(farm, user_with_role):
    return user_with_role("producer_staff", farm.producer)


def test_harvest_list_counts_the_purchase_and_names_the_grocery(client, farm, producer_staff):
    text = page_text(client.get(farm.url("recolte")))
    assert "5,5 kg" in text  # 1,5 + 4
    assert "dont 4 kg pour Épicerie du Pilat" in text
    assert "dont 3 pièces pour Épicerie du Pilat" in text

    header, *rows = read_csv(client.get(farm.url("recolte") + "?format=csv"))
    assert ["Produit", "Carottes", "5,5", "kg", "2"] in rows
    assert ["Dont épicerie solidaire", "Carottes (Épicerie du Pilat)", "4", "kg", ""] in rows
    assert ["Produit", "Pain de campagne", "3", "pièces", "1"] in rows


def test_packing_list_packs_the_purchase_under_the_grocerys_name(client, farm, producer_staff):
    text = page_text(client.get(farm.url("colisage")))
    assert "Épicerie du Pilat (Awa Diallo)" in text
    assert "Foyer Martin" in text

    _, *rows = read_csv(client.get(farm.url("colisage") + "?format=csv"))
    assert ["Préau de l'école", "Épicerie du Pilat (Awa Diallo)", "Carottes", "4", "kg"] in rows
    assert [
        "Préau de l'école",
        "Épicerie du Pilat (Awa Diallo)",
        "Pain de campagne",
        "3",
        "pièces",
    ] in rows
    assert ["Préau de l'école", "Foyer Martin", "Carottes", "1,5", "kg"] in rows


def test_delivery_sheet_counts_the_purchase(client, farm, producer_staff):
    _, *rows = read_csv(client.get(farm.url("feuille-de-livraison") + "?format=csv"))
    assert ["Préau de l'école", "Carottes", "5,5", "kg"] in rows
    assert ["Préau de l'école", "Pain de campagne", "3", "pièces"] in rows
    text = page_text(client.get(farm.url("feuille-de-livraison")))
    assert "5,5 kg" in text
