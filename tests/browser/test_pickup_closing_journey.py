"""A household shows its QR code; the coordinator prints the sign-off sheet, closes the day
and reads the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories
from tests.pickup.test_closing import make_scene

pytestmark = pytest.mark.browser


def log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_qr_code_sign_off_sheet_and_closing(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    scene = make_scene(ends_in=timedelta(minutes=-10))
    member = factories.UserFactory(name="Camille Roux", email="camille@exemple.fr")
    factories.MembershipFactory(user=member, organisation=scene.group, role="member")
    scene.basket(scene.offer("donate", "grand"), user=member)
    factories.GroceryFactory(name="La Passerelle")
    coordinator = scene.coordinator()
    coordinator.email = "dominique@exemple.fr"
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    log_in(page, live_server, "camille@exemple.fr")
    page.goto(f"{live_server}/tableau-de-bord")
    page.get_by_role("link", name="Mon code de retrait (QR)").click()
    expect(page.locator(".qr-code svg")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, live_server, "dominique@exemple.fr")
    page.goto(f"{live_server}/distributions/{scene.day.id}/emargement")
    expect(page.get_by_role("heading", name="Feuille d'émargement")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Camille Roux")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".pickup-nav")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Clôture").click()
    page.get_by_role("button", name="Clôturer la distribution").click()
    expect(page.get_by_text("Choisissez l'épicerie solidaire qui reçoit les dons.")).to_be_visible()
    page.get_by_label("Épicerie solidaire qui reçoit les dons").select_option(label="La Passerelle")
    page.get_by_role("button", name="Clôturer la distribution").click()
    expect(page.get_by_role("heading", name="Compte rendu de la distribution")).to_be_visible()
    expect(page.get_by_text("Distribution clôturée")).to_be_visible()
    donated = page.locator("table").first.locator("tbody tr").first.locator("td").nth(3)
    expect(donated).to_have_text("1")

    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]
