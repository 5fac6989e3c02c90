"""The stock screens: purchases, donations, receiving pickup-day donations once, corrections,
who may see them, and the list's query count."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem
from marketplace.organisations.models import Role
from marketplace.pickup.models import DonatedItem
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(grocery, rest: str = "") -> str:
    return f"/epiceries/{grocery.slug}/stock{rest}"


def count_items() -> int:
    return db.session.scalar(select(func.count(StockItem.id)))


def donated_item(grocery, **values) -> DonatedItem:
    """Honey not collected on a pickup day, given to `grocery` (as pickup closing records it)."""
    line = factories.OrderLineFactory(quantity_milli=2000)
    product = line.availability.product
    item = DonatedItem(
        distribution_day_id=line.order.distribution_day_id,
        grocery_id=grocery.id,
        order_line_id=line.id,
        label=f"{product.name} — {product.producer.name}",
        quantity_milli=line.quantity_milli,
        unit=product.unit,
        **values,
    )
    db.session.add(item)
    db.session.flush()
    return item


def donated_basket(grocery) -> DonatedItem:
    delivery = factories.DeliveryFactory(quantity=2)
    item = DonatedItem(
        distribution_day_id=delivery.distribution_day_id,
        grocery_id=grocery.id,
        delivery_id=delivery.id,
        label="Panier grand — Ferme du Coteau",
        quantity_milli=2000,
        unit="panier",
    )
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def staffed(user_with_role):
    grocery = factories.GroceryFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)
    return grocery


def purchase_data(**changes) -> dict[str, str]:
    data = {
        "producer_id": "",
        "product_id": "",
        "name": "",
        "category": "",
        "unit": "",
        "quantity": "12",
        "shelf_price": "",
        "received_on": paris_today().isoformat(),
    }
    data.update(changes)
    return data


# --- Purchases and donations ------------------------------------------------------------------


def test_purchase_of_a_catalogue_product_takes_its_name_unit_and_price(client, staffed):
    product = factories.ProductFactory(name="Pommes de terre", unit="kg", price_cents=220)
    db.session.commit()

    form = text_of(client.get(url(staffed, "/achat")))
    assert f"Pommes de terre — {product.producer.name}" in form
    response = client.post(
        url(staffed, "/achat"),
        data=purchase_data(
            producer_id=str(product.producer_id), product_id=str(product.id), quantity="25,5"
        ),
    )

    assert response.status_code == 302
    item = db.session.scalar(select(StockItem))
    assert (item.name, item.unit, item.category) == ("Pommes de terre", "kg", "legumes")
    assert (item.quantity_milli, item.shelf_price_cents, item.source) == (25_500, 220, "purchase")
    assert (item.producer_id, item.product_id) == (product.producer_id, product.id)
    page = text_of(client.get(url(staffed)))
    assert "Pommes de terre" in page and "25,5 kg" in page and "2,20" in page


def test_purchase_with_a_typed_name_and_a_chosen_price(client, staffed):
    producer = factories.ProducerFactory()
    db.session.commit()

    response = client.post(
        url(staffed, "/achat"),
        data=purchase_data(
            producer_id=str(producer.id),
            name="Confiture de prunes",
            category="epicerie",
            unit="bocal",
            quantity="6",
            shelf_price="3,10",
        ),
    )

    assert response.status_code == 302
    item = db.session.scalar(select(StockItem))
    assert (item.name, item.unit, item.quantity_milli, item.shelf_price_cents) == (
        "Confiture de prunes",
        "bocal",
        6000,
        310,
    )
    assert item.product_id is None and item.producer_id == producer.id


def test_donation_without_producer_at_price_zero(client, staffed):
    assert "Aucun (autre donateur)" in text_of(client.get(url(staffed, "/don")))
    response = client.post(
        url(staffed, "/don"),
        data=purchase_data(
            name="Pâtes (dons Banque alimentaire)",
            category="epicerie",
            unit="piece",
            quantity="40",
            shelf_price="0",
        ),
    )

    assert response.status_code == 302
    item = db.session.scalar(select(StockItem))
    assert (item.source, item.shelf_price_cents, item.producer_id) == ("donation", 0, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": "-3"}, "La quantité doit être supérieure à zéro."),
        ({"quantity": "0"}, "La quantité doit être supérieure à zéro."),
        ({"quantity": "2,5", "unit": "piece"}, "indiquez un nombre entier"),
        ({"quantity": "beaucoup"}, "Indiquez une quantité en chiffres"),
        ({"shelf_price": "-2"}, "Indiquez un prix en euros"),
        ({"shelf_price": ""}, "Indiquez le prix en rayon"),
        ({"producer_id": ""}, "Choisissez le producteur chez qui l'achat a été fait."),
        ({"producer_id": "999999"}, "Choisissez le producteur chez qui l'achat a été fait."),
        ({"name": ""}, "Choisissez un produit du catalogue ou tapez son nom."),
        ({"unit": "tonne"}, "Choisissez une unité de la liste."),
        ({"category": ""}, "Choisissez une catégorie de la liste."),
        ({"received_on": "hier"}, "Indiquez une date valide"),
    ],
)
def test_bad_purchases_are_refused_and_nothing_saved(client, staffed, changes, message):
    producer = factories.ProducerFactory()
    db.session.commit()
    data = purchase_data(
        producer_id=str(producer.id),
        name="Carottes",
        category="legumes",
        unit="kg",
        quantity="10",
        shelf_price="2,00",
    )
    data.update(changes)

    response = client.post(url(staffed, "/achat"), data=data)

    assert response.status_code == 400
    assert message in text_of(response)
    assert count_items() == 0


def test_a_product_of_another_producer_is_refused(client, staffed):
    product = factories.ProductFactory()
    other = factories.ProducerFactory()
    db.session.commit()

    response = client.post(
        url(staffed, "/achat"),
        data=purchase_data(producer_id=str(other.id), product_id=str(product.id)),
    )

    assert response.status_code == 400
    assert "Ce produit n'est pas au catalogue de ce producteur." in text_of(response)
    assert count_items() == 0


# --- Donations of AMAP pickup days ------------------------------------------------------------


def test_receiving_a_pickup_day_donation_once(client, staffed):
    donation = donated_item(staffed)
    basket = donated_basket(staffed)
    db.session.commit()

    page = text_of(client.get(url(staffed)))
    assert "2 dons des AMAP à réceptionner" in page
    assert donation.label in page and "Panier grand — Ferme du Coteau" in page

    response = client.post(
        url(staffed, f"/dons/{donation.id}/recevoir"),
        data={f"d{donation.id}-shelf_price": "1,50", f"d{donation.id}-category": "miel"},
    )
    assert response.status_code == 302
    item = db.session.scalar(select(StockItem))
    assert (item.name, item.quantity_milli, item.unit) == (donation.label, 2000, "kg")
    assert (item.shelf_price_cents, item.category, item.source) == (150, "miel", "donation")
    assert item.donated_item_id == donation.id and item.product_id is not None
    db.session.refresh(donation)
    assert donation.received_at is not None

    again = client.post(
        url(staffed, f"/dons/{donation.id}/recevoir"),
        data={f"d{donation.id}-shelf_price": "1,50", f"d{donation.id}-category": "miel"},
    )
    assert again.status_code == 302
    assert "Ce don est déjà entré dans le stock." in text_of(client.get(url(staffed)))
    assert count_items() == 1

    response = client.post(
        url(staffed, f"/dons/{basket.id}/recevoir"),
        data={f"d{basket.id}-shelf_price": "0", f"d{basket.id}-category": "legumes"},
    )
    assert response.status_code == 302
    page = text_of(client.get(url(staffed)))
    assert "Aucun don en attente." in page
    assert "2 panier" in page  # sold by the basket, the unit pickup closing gives


def test_a_donation_addressed_to_another_grocery_is_refused(client, staffed):
    elsewhere = donated_item(factories.GroceryFactory())
    db.session.commit()

    assert elsewhere.label not in text_of(client.get(url(staffed)))
    client.post(
        url(staffed, f"/dons/{elsewhere.id}/recevoir"),
        data={f"d{elsewhere.id}-shelf_price": "1", f"d{elsewhere.id}-category": "miel"},
    )

    assert "Ce don n'est pas adressé à votre épicerie." in text_of(client.get(url(staffed)))
    assert count_items() == 0
    db.session.refresh(elsewhere)
    assert elsewhere.received_at is None


def test_receiving_needs_a_price(client, staffed):
    donation = donated_item(staffed)
    db.session.commit()

    response = client.post(
        url(staffed, f"/dons/{donation.id}/recevoir"),
        data={f"d{donation.id}-shelf_price": "deux", f"d{donation.id}-category": "miel"},
    )

    assert response.status_code == 400
    assert "Indiquez un prix en euros" in text_of(response)
    assert count_items() == 0
    db.session.refresh(donation)
    assert donation.received_at is None


# --- Corrections ------------------------------------------------------------------------------


def test_adjusting_a_quantity_after_a_loss(client, staffed):
    item = factories.StockItemFactory(grocery=staffed, quantity_milli=20_000, reserved_milli=3000)
    db.session.commit()

    form = text_of(client.get(url(staffed, f"/{item.id}/ajuster")))
    assert 'value="20"' in form and "réservent 3 kg" in form
    response = client.post(
        url(staffed, f"/{item.id}/ajuster"), data={"quantity": "17,5", "shelf_price": "1,60"}
    )

    assert response.status_code == 302
    db.session.refresh(item)
    assert (item.quantity_milli, item.reserved_milli, item.shelf_price_cents) == (17_500, 3000, 160)


def test_adjusting_to_zero_when_nothing_is_reserved(client, staffed):
    item = factories.StockItemFactory(grocery=staffed)
    db.session.commit()

    response = client.post(
        url(staffed, f"/{item.id}/ajuster"), data={"quantity": "0", "shelf_price": "1,80"}
    )

    assert response.status_code == 302
    db.session.refresh(item)
    assert item.quantity_milli == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "2", "shelf_price": "1,80"}, "Des pré-commandes réservent déjà 3 kg"),
        ({"quantity": "-1", "shelf_price": "1,80"}, "La quantité doit être supérieure à zéro."),
        ({"quantity": "10", "shelf_price": "-1"}, "Indiquez un prix en euros"),
    ],
)
def test_bad_adjustments_change_nothing(client, staffed, data, message):
    item = factories.StockItemFactory(grocery=staffed, quantity_milli=20_000, reserved_milli=3000)
    db.session.commit()

    response = client.post(url(staffed, f"/{item.id}/ajuster"), data=data)

    assert response.status_code == 400
    assert message in text_of(response)
    db.session.refresh(item)
    assert (item.quantity_milli, item.reserved_milli, item.shelf_price_cents) == (20_000, 3000, 180)


def test_pieces_are_adjusted_in_whole_numbers(client, staffed):
    item = factories.StockItemFactory(grocery=staffed, unit="piece", quantity_milli=10_000)
    db.session.commit()

    response = client.post(
        url(staffed, f"/{item.id}/ajuster"), data={"quantity": "4,5", "shelf_price": "1"}
    )

    assert response.status_code == 400
    assert "indiquez un nombre entier" in text_of(response)


def test_another_grocerys_item_is_not_found(client, staffed):
    item = factories.StockItemFactory()
    db.session.commit()

    assert client.get(url(staffed, f"/{item.id}/ajuster")).status_code == 404


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "group volunteer", "other grocery staff"])
def test_only_the_grocerys_staff_reach_the_stock(client, user_with_role, who):
    grocery = factories.GroceryFactory()
    item = factories.StockItemFactory(grocery=grocery, name="Lentilles vertes")
    donation = donated_item(grocery)
    group = factories.GroupFactory()
    role, organisation = {
        "member": (Role.MEMBER, group),
        "group volunteer": (Role.VOLUNTEER, group),
        "other grocery staff": (Role.GROCERY_STAFF, factories.GroceryFactory()),
    }[who]
    db.session.commit()
    user_with_role(role, organisation)

    for path in ("", "/achat", "/don", f"/{item.id}/ajuster"):
        response = client.get(url(grocery, path))
        assert response.status_code == 403, path
        assert "Lentilles vertes" not in text_of(response)
    data = {f"d{donation.id}-shelf_price": "0", f"d{donation.id}-category": "miel"}
    assert client.post(url(grocery, f"/dons/{donation.id}/recevoir"), data=data).status_code == 403
    assert client.post(url(grocery, "/don"), data=purchase_data()).status_code == 403
    assert count_items() == 1


# --- Query count ------------------------------------------------------------------------------


def _stock_page_queries(client, grocery, rows: int) -> int:
    categories = ["legumes", "fruits", "epicerie", "miel"]
    for n in range(rows):
        factories.StockItemFactory(grocery=grocery, category=categories[n % 4])
    for _ in range(rows // 10):
        donated_item(grocery)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(url(grocery))
    assert response.status_code == 200
    return counter.count


def test_stock_list_query_count_does_not_grow_with_rows(client, user_with_role):
    small, large = factories.GroceryFactory(), factories.GroceryFactory()
    db.session.commit()
    staff = user_with_role(Role.GROCERY_STAFF, small)
    factories.MembershipFactory(user=staff, organisation=large, role="grocery_staff")

    assert _stock_page_queries(client, small, 10) == _stock_page_queries(client, large, 200)
