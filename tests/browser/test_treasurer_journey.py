"""The treasurer (a coordinator) remits the week's cheques at the bank, prints the slip, then
prepares the transfers to the producers and downloads the SEPA file for the bank."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.books.sepa import SCHEMA_FILE
from tests.books import scene as scenes
from tests.browser.test_group_journey import log_in

pytestmark = pytest.mark.browser


def test_the_treasurer_remits_the_cheques_and_downloads_the_payout_file(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    scene = scenes.build()
    log_in(page, live_server, scene.coordinator.email)
    page.goto(f"{live_server}/tableau-de-bord")
    page.get_by_role("link", name="Trésorerie : remises, producteurs, export comptable").click()
    expect(page.get_by_role("heading", name="Trésorerie — AMAP des Canuts")).to_be_visible()

    page.get_by_role("link", name="Chèques à remettre (3)").click()
    bank = page.locator("form.slip").first
    expect(bank.get_by_role("checkbox")).to_have_count(3)
    expect(bank).to_contain_text("87,00")
    bank.get_by_role("button", name="Remettre à la banque").click()
    expect(page.get_by_role("heading", name="Bordereau de remise n° 1")).to_be_visible()
    expect(page.get_by_text("3 paiements remis")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Télécharger (CSV)")).to_be_hidden()
    expect(page.get_by_role("rowheader", name="Alice Martin")).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="← Retour aux chèques à remettre").click()
    expect(page.get_by_text("Aucun chèque à remettre à la banque aujourd'hui.")).to_be_visible()
    page.get_by_role("link", name="← Retour à la trésorerie").click()
    page.get_by_role("checkbox", name="Payer Ferme du Coteau").check()
    page.get_by_role("checkbox", name="Payer Fournil bio").check()
    page.get_by_role("button", name="Préparer les virements").click()
    expect(page.get_by_text("Virements préparés (87,00")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le fichier de virements (XML SEPA)").click()
    assert download.value.suggested_filename.startswith("virements-amap-des-canuts-")
    xml = Path(download.value.path()).read_text(encoding="utf-8")
    xmlschema.XMLSchema(SCHEMA_FILE).validate(xml)
    assert "FR1420041010050500013M02606" in xml

    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []
