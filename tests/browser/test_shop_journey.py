"""A member fills a cart in the weekly shop, orders, and finds the order in their history."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories
from tests.browser.test_group_journey import log_in
from tests.shop.helpers import make_shop

pytestmark = pytest.mark.browser


def test_a_member_fills_a_cart_and_orders(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    shop = make_shop()
    shop.offer(name="Carottes", unit="kg", price_cents=320, quantity_milli=10_000)
    shop.offer(name="Pain de seigle", unit="piece", price_cents=450, category="pain")
    member = factories.UserFactory(name="Camille Durand", email="camille@exemple.fr")
    factories.MembershipFactory(user=member, organisation=shop.group, role="member")
    db.session.commit()

    log_in(page, live_server, "camille@exemple.fr")
    page.goto(f"{live_server}/boutique/")
    page.locator(".day-list a").first.click()

    page.get_by_label("Quantité de Carottes").fill("1,5")
    page.get_by_role("button", name="Mettre à jour le panier").click()
    cart = page.locator("section.shop-cart")
    expect(cart).to_contain_text("Carottes — 1,5 kg")
    expect(cart).to_contain_text("4,80")

    page.get_by_label("Rechercher un produit").fill("seigle")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_label("Quantité de Pain de seigle").fill("2")
    page.locator("form.shop-form").get_by_role("button", name="Commander").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Ma commande")
    expect(page.locator("table")).to_contain_text("Pain de seigle")
    expect(page.locator("tfoot")).to_contain_text("13,80")
    page.get_by_role("link", name="← Mes commandes").click()
    expect(page.locator("table")).to_contain_text("Carottes (1,5 kg)")
    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []
