"""A coordinator sets up a pickup point and a calendar, previews it, saves it, cancels a date."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, format_date
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.delivery.recurrence import next_occurrence_dates
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories

pytestmark = pytest.mark.browser


def test_a_coordinator_builds_the_calendar(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    group = factories.GroupFactory(name="AMAP des Pentes", slug="amap-des-pentes")
    coordinator = factories.UserFactory(email="dominique@exemple.fr")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("dominique@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto(f"{live_server}/groupes/amap-des-pentes/gestion/lieux")
    page.get_by_role("link", name="Ajouter un lieu").click()
    page.get_by_label("Nom du lieu").fill("Salle du Rize")
    page.get_by_label("Adresse").fill("23 rue Valentin-Haüy")
    page.get_by_label("Code postal").fill("69100")
    page.get_by_label("Commune").fill("Villeurbanne")
    page.get_by_label("Latitude").fill("45,7640")
    page.get_by_label("Longitude").fill("4,8800")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Lieu de distribution enregistré.")).to_be_visible()

    page.get_by_role("link", name="Calendrier", exact=True).click()
    page.get_by_role("link", name="Nouveau calendrier").click()
    page.get_by_label("Lieu de distribution").select_option(label="Salle du Rize")
    page.get_by_label("Nom du calendrier (facultatif)").fill("Mardi soir")
    page.get_by_label("mardi", exact=True).check()
    page.get_by_role("button", name="Prévisualiser").click()

    expect(page.get_by_role("heading", name="Aperçu des prochaines distributions")).to_be_visible()
    preview = page.locator(".preview tbody tr")
    expect(preview).to_have_count(8)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Calendrier enregistré.")).to_be_visible()
    expect(page.get_by_text("Chaque mardi")).to_be_visible()

    today = paris_today()
    second = next_occurrence_dates("FREQ=WEEKLY;BYDAY=TU", today, today, 2)[1]
    page.get_by_role("link", name=re.compile("Annulations et déplacements")).click()
    page.get_by_label("Date de la distribution concernée").fill(second.isoformat())
    page.get_by_label("L'annuler").check()
    page.get_by_label("Raison (par exemple : Jour férié)").fill("Jour férié")
    page.get_by_role("button", name="Enregistrer l'exception").click()
    expect(page.get_by_text("Exception enregistrée.")).to_be_visible()

    page.get_by_role("link", name="Retour au calendrier").click()
    with force_locale("fr"):  # no request here to choose the language from
        second_label = format_date(second, "full")
    row = page.get_by_role("row").filter(has_text=second_label)
    expect(row).to_contain_text("Annulée")
    expect(row).to_contain_text("Jour férié")

    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
