"""A producer opens the sales dashboard, then the packing list of a closed date, and prints it."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.browser.test_group_journey import log_in
from tests.shop.lists_support import make_farm

pytestmark = pytest.mark.browser


def test_a_producer_reads_and_prints_the_packing_list(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    # Delivered today, so this week's bar of the sales chart has them whatever the weekday.
    farm = make_farm(day=paris_today())
    farm.offer_product("Carottes", "kg", 320)
    martin = factories.UserFactory(name="Foyer Martin")
    farm.order(martin, "Préau", {"Carottes": 1500})
    farm.basket(farm.subscribe(martin, "Préau", "Grand"), "Préau")
    dubois = factories.UserFactory(name="Foyer Dubois")
    farm.basket(
        farm.subscribe(dubois, "Salle", "Petit"), "Salle", state="given", given_to_name="Camille"
    )
    farmer = factories.UserFactory(email="paysanne@exemple.fr")
    factories.MembershipFactory(user=farmer, organisation=farm.producer, role="producer_staff")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    log_in(page, live_server, "paysanne@exemple.fr")
    page.goto(f"{live_server}/tableau-de-bord")
    page.get_by_role("link", name="Ventes de la ferme").click()
    expect(page.get_by_role("heading", name="Ventes de Ferme du Coteau")).to_be_visible()
    expect(page.locator("svg[role=img] rect")).to_have_count(10)
    page.get_by_role("link", name="Listes de récolte et de colisage").click()

    row = page.get_by_role("row").filter(has_text="AMAP des Canuts")
    row.get_by_role("link", name="Colisage").click()
    expect(page.get_by_role("heading", name="Liste de colisage")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Camille (pour Foyer Dubois)")).to_be_visible()
    martin_row = page.get_by_role("row").filter(has_text="Foyer Martin")
    expect(martin_row).to_contain_text("1,5 kg · Carottes")
    expect(martin_row).to_contain_text("1 panier Contrat légumes — Grand")

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Télécharger le tableau (CSV)")).to_be_hidden()
    expect(page.get_by_role("heading", name="Liste de colisage")).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Récolte").click()
    expect(page.get_by_role("heading", name="Liste de récolte")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le tableau (CSV)").click()
    assert download.value.suggested_filename.startswith("recolte-amap-des-canuts-")

    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []
