"""A coordinator puts the group's charter online for its members; a member finds it on the
group page and downloads it; a visitor does not see it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_a_coordinator_shares_the_charter_with_the_members(
    page: Page, live_server: str, console_messages: list[ConsoleMessage], tmp_path
):
    group = factories.GroupFactory(name="AMAP des Tilleuls", slug="amap-des-tilleuls")
    coordinator = factories.UserFactory(email="coord@exemple.fr")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    member = factories.UserFactory(email="martin@exemple.fr")
    factories.MembershipFactory(user=member, organisation=group, role="member")
    db.session.commit()
    charter = tmp_path / "Charte AMAP été.pdf"
    charter.write_bytes(PDF)
    page.set_viewport_size({"width": 390, "height": 844})

    _log_in(page, live_server, "coord@exemple.fr")
    page.goto(f"{live_server}/groupes/amap-des-tilleuls")
    page.get_by_role("link", name="Documents", exact=True).click()
    page.get_by_label("Titre").fill("Charte de l'AMAP")
    page.get_by_label("Qui peut le lire").select_option(label="Les adhérent·es du groupe")
    page.get_by_label("Fichier").set_input_files(str(charter))
    page.get_by_role("button", name="Mettre en ligne").click()
    expect(page.get_by_text("« Charte de l'AMAP » est en ligne.")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    page.goto(f"{live_server}/groupes/amap-des-tilleuls")
    expect(page.get_by_role("link", name="Charte de l'AMAP")).to_have_count(0)

    _log_in(page, live_server, "martin@exemple.fr")
    page.goto(f"{live_server}/groupes/amap-des-tilleuls")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Charte de l'AMAP").click()
    download = download_info.value
    assert download.suggested_filename == "Charte-AMAP-ete.pdf"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
