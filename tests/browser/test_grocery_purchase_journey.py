"""A grocery's staff member buys from a day's availability, then, after the distribution,
enters the purchase into the grocery's stock with shelf prices."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests.browser.test_group_journey import log_in
from tests.grocery_shop.purchases_support import make_market, move_day_to_the_past

pytestmark = pytest.mark.browser


def test_staff_buy_for_the_grocery_then_enter_it_into_the_stock(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    market = make_market()
    market.staff.email = "awa@exemple.fr"
    market.shop.offer(name="Carottes", unit="kg", price_cents=300, quantity_milli=10_000)
    market.shop.offer(name="Pain de seigle", unit="piece", price_cents=450, category="pain")
    db.session.commit()

    log_in(page, live_server, "awa@exemple.fr")
    page.goto(f"{live_server}/tableau-de-bord")
    page.get_by_role("link", name="Acheter aux producteurs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acheter aux producteurs")
    page.locator("#distributions ~ .table-wrap").get_by_role("link", name="Commander").click()

    page.get_by_label("Quantité de Carottes").fill("12")  # more than the 10 kg left
    page.get_by_role("button", name="Commander pour l'épicerie").click()
    expect(page.locator(".shop-product.has-error .errors")).to_contain_text("il en reste 10 kg")
    page.get_by_label("Quantité de Carottes").fill("2,5")
    page.get_by_label("Quantité de Pain de seigle").fill("3")
    page.get_by_role("button", name="Commander pour l'épicerie").click()
    expect(page.locator(".flash").first).to_contain_text("L'achat de l'épicerie est enregistré.")
    expect(page.locator("section.card ul")).to_contain_text("Carottes — 2,5 kg")

    move_day_to_the_past(market.shop.day)
    page.get_by_role("link", name="← Achats de l'épicerie").click()
    page.locator("#achats ~ .table-wrap").get_by_role("link", name="Entrer en stock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entrer un achat en stock")
    carrots = page.locator("li.card", has_text="Carottes")
    expect(carrots.get_by_label("Quantité reçue")).to_have_value("2,5")
    expect(carrots.get_by_label("Prix en rayon par unité (€)")).to_have_value("3,00")
    carrots.get_by_label("Prix en rayon par unité (€)").fill("3,40")
    page.locator("li.card", has_text="Pain de seigle").get_by_label("Quantité reçue").fill("2")
    page.get_by_role("button", name="Entrer en stock").click()

    expect(page.locator(".flash").first).to_contain_text("2 produits sont entrés en stock.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stock")
    expect(page.locator("table.stock-table", has_text="Carottes")).to_contain_text("3,40")
    expect(page.locator("table.stock-table", has_text="Pain de seigle")).to_contain_text("2 pièces")
    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []
