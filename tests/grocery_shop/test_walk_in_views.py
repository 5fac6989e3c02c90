"""Walk-in sales without JavaScript: the form posts one sale, the answer is a flash message on
the page it came from; and the partial the stop's checklist page includes."""

from __future__ import annotations

import uuid

import pytest
from flask import render_template
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.grocery_shop.walk_in import SaleIn, record_sales, sales_panel
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run

BACK = "/distributions/arrets/1/liste"


@pytest.fixture
def van(app):
    van = make_run()
    van.carrots = item(van.grocery, name="Carottes", unit="kg", shelf_price_cents=335)
    van.family = household(van.grocery, household_name="Foyer Martin", tier_percent=30)
    db.session.commit()
    return van


def sale_url(van, slug=None):
    return f"/epiceries/{slug or van.grocery.slug}/arrets/{van.stops[0].id}/ventes"


def form(van, **values):
    return {
        "sale_id": uuid.uuid4().hex,
        "stock_item_id": str(van.carrots.id),
        "quantity": "1,5",
        "beneficiary_id": "",
        "back": BACK,
        **values,
    }


def free_carrots(van) -> int:
    db.session.expire_all()
    return db.session.get(StockItem, van.carrots.id).available_milli


def sales() -> int:
    return db.session.scalar(select(func.count(WalkInSale.id)))


def test_staff_record_a_sale_without_javascript(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    values = form(van, beneficiary_id=str(van.family.id))

    response = client.post(sale_url(van), data=values)
    with client.session_transaction() as session:
        session.pop("_flashes")
    client.post(sale_url(van), data=values)

    assert response.status_code == 302
    assert response.headers["Location"] == BACK
    with client.session_transaction() as session:
        assert session["_flashes"] == [("info", "Cette vente était déjà enregistrée.")]
    assert sales() == 1  # the same form sent twice: one sale
    assert free_carrots(van) == 18_500


def test_sale_message_names_what_was_sold(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    client.post(sale_url(van), data=form(van))
    with client.session_transaction() as session:
        flashes = session["_flashes"]
    assert flashes == [("success", "Vente enregistrée : 1,5 kg de « Carottes », 5,03\u00a0€.")]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"quantity": "beaucoup"},
            "Vente non enregistrée : Indiquez une quantité en chiffres, par exemple 2 ou 1,5.",
        ),
        ({"quantity": ""}, "Vente non enregistrée : Ce champ est obligatoire."),
        ({"stock_item_id": ""}, "Vente non enregistrée : choisissez un produit du stock."),
        (
            {"quantity": "30"},
            "Vente non enregistrée : « Carottes » : il n'en reste que 20 kg hors précommandes.",
        ),
        (
            {"beneficiary_id": "999999"},
            "Vente non enregistrée : Ce foyer n'est pas inscrit à l'épicerie.",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(client, user_with_role, van, values, message):
    user_with_role(Role.GROCERY_STAFF, van.grocery)

    response = client.post(sale_url(van), data=form(van, **values))

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["_flashes"] == [("error", message)]
    assert sales() == 0
    assert free_carrots(van) == 20_000


def test_unsafe_back_address_is_not_followed(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    response = client.post(sale_url(van), data=form(van, back="//ailleurs.example/"))
    assert response.headers["Location"] == f"/distributions/arrets/{van.stops[0].id}/liste"


def test_someone_else_gets_403_and_a_wrong_grocery_404(client, user_with_role, van):
    user_with_role(Role.VOLUNTEER, van.grocery)
    assert client.post(sale_url(van), data=form(van)).status_code == 403
    other = factories.GroceryFactory()
    db.session.commit()
    assert client.post(sale_url(van, other.slug), data=form(van)).status_code == 404
    assert sales() == 0


def test_void_without_javascript(client, user_with_role, van):
    staff = user_with_role(Role.GROCERY_STAFF, van.grocery)
    sale_id = uuid.uuid4().hex
    record_sales(
        van.stops[0],
        staff,
        [SaleIn(sale_id, van.carrots.id, 2000, utcnow())],
        utcnow(),
    )
    db.session.commit()
    url = f"{sale_url(van)}/{sale_id}/annuler"

    client.post(url, data={"back": BACK})
    with client.session_transaction() as session:
        assert session.pop("_flashes") == [
            ("success", "Vente annulée : la quantité est remise en stock.")
        ]
    client.post(url, data={"back": BACK})
    with client.session_transaction() as session:
        assert session["_flashes"] == [("info", "Cette vente était déjà annulée.")]
    assert free_carrots(van) == 20_000


def test_the_partial_shows_the_form_the_sales_and_the_takings(app, van):
    staff = factories.UserFactory(is_admin=True)
    record_sales(
        van.stops[0],
        staff,
        [SaleIn(uuid.uuid4().hex, van.carrots.id, 1500, utcnow(), beneficiary_id=van.family.id)],
        utcnow(),
    )
    db.session.commit()
    with app.test_request_context(BACK):
        html = render_template(
            "grocery_shop/stops/_walk_in_sales.html", panel=sales_panel(van.stops[0])
        )

    assert "Ventes sur place" in html
    assert "Sans carte (plein tarif)" in html
    assert "Foyer Martin — tarif 30 %" in html
    assert "Carottes — 18,5 kg · 3,35\u00a0€/kg" in html
    assert "Enregistrer la vente" in html
    assert "Annuler la vente" in html
    assert "1,52\u00a0€" in html  # 1,5 kg at 30 % of 3,35 € (1,01 €)
    assert f'value="{BACK}"' in html
    assert "walk-in-sales.js" in html


def test_the_partial_of_a_closed_run_has_no_form(app, van):
    factories.RunClosingFactory(run=van.run)
    db.session.commit()
    with app.test_request_context(BACK):
        html = render_template(
            "grocery_shop/stops/_walk_in_sales.html", panel=sales_panel(van.stops[0])
        )
    assert "Enregistrer la vente" not in html
    assert "ne peuvent plus changer" in html


def test_round_trip_through_the_stop_checklist_page(client, user_with_role, van):
    """The stop's checklist page shows the sale form; a sale posted from it comes back on it."""
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    page_url = f"/distributions/arrets/{van.stops[0].id}/liste"

    page = client.get(page_url).get_data(as_text=True)
    assert "Ventes sur place" in page
    assert f'action="{sale_url(van)}"' in page

    answer = client.post(sale_url(van), data=form(van, back=page_url), follow_redirects=True)

    html = answer.get_data(as_text=True)
    assert answer.request.path == page_url
    assert "Vente enregistrée : 1,5 kg de « Carottes », 5,03\u00a0€." in html
    assert "Recette de l’arrêt :" in html and "5,03\u00a0€</strong>" in html
