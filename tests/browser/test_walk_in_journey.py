"""The grocery's staff open a stop's checklist on a phone, lose the network, sell a jar of honey
and 1,5 kg of carrots (one to a household at its tier), get the network back, and the server
holds both sales, once, with the stock gone down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run

pytestmark = pytest.mark.browser


def test_offline_sales_reach_the_server(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    van = make_run(days_ahead=0)
    carrots = item(van.grocery, name="Carottes", unit="kg", shelf_price_cents=335)
    honey = item(
        van.grocery,
        name="Miel",
        unit="bocal",
        shelf_price_cents=400,
        quantity_milli=3000,
        reserved_milli=1000,
    )
    household(van.grocery, household_name="Foyer Martin", tier_percent=30)
    staff = factories.UserFactory(email="equipe@exemple.fr")
    factories.MembershipFactory(user=staff, organisation=van.grocery, role=Role.GROCERY_STAFF.value)
    db.session.commit()
    carrots_id, honey_id = carrots.id, honey.id
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("equipe@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto(f"{live_server}/distributions/arrets/{van.stops[0].id}/liste")
    expect(page.get_by_role("heading", name="Ventes sur place")).to_be_visible()
    status = page.locator("#walk-in-status")
    expect(status).to_have_text("En ligne : les ventes sont enregistrées.")

    page.context.set_offline(True)
    page.get_by_label("Produit").select_option(label="Miel — 2 bocaux · 4,00\u00a0€/bocal")
    page.get_by_label("Quantité").fill("3")
    page.get_by_role("button", name="Enregistrer la vente").click()
    # Only two jars are free: the third is pre-ordered.
    expect(page.locator("#walk-in-error")).to_have_text(
        "« Miel » : il n’en reste que 2 bocaux hors précommandes."
    )
    page.get_by_label("Quantité").fill("1")
    page.get_by_role("button", name="Enregistrer la vente").click()

    page.get_by_label("Produit").select_option(str(carrots_id))
    page.get_by_label("Quantité").fill("1,5")
    page.get_by_label("Foyer").select_option(label="Foyer Martin — tarif 30 %")
    expect(page.locator("#walk-in-preview")).to_have_text("Prix : 1,52\u00a0€ (tarif 30 %)")
    page.get_by_role("button", name="Enregistrer la vente").click()

    rows = page.locator("#walk-in-list .walk-in-sale")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="en attente d’envoi")).to_have_count(2)
    expect(status).to_contain_text("2 ventes en attente d’envoi")
    expect(page.locator("#walk-in-takings")).to_have_text("5,52\u00a0€")
    db.session.expire_all()
    assert db.session.scalars(select(WalkInSale)).all() == []  # nothing reached the server yet

    page.context.set_offline(False)
    expect(status).to_have_text("En ligne : les ventes sont enregistrées.")
    expect(rows.filter(has_text="en attente d’envoi")).to_have_count(0)
    expect(rows).to_have_count(2)

    db.session.expire_all()
    sales = db.session.scalars(select(WalkInSale).order_by(WalkInSale.total_cents)).all()
    assert [(s.stock_item_id, s.quantity_milli, s.total_cents) for s in sales] == [
        (carrots_id, 1500, 152),
        (honey_id, 1000, 400),
    ]
    # Stamped by the phone's clock, which is the suite's (tests/browser/conftest.py).
    assert all(abs(s.sold_at - datetime.now(UTC)) < timedelta(minutes=2) for s in sales)
    assert db.session.get(StockItem, carrots_id).quantity_milli == 18_500
    assert db.session.get(StockItem, honey_id).quantity_milli == 2000

    page.reload()
    expect(page.locator("#walk-in-list .walk-in-sale")).to_have_count(2)
    expect(page.locator("#walk-in-takings")).to_have_text("5,52\u00a0€")
    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]
