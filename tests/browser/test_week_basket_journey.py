"""A producer announces the basket of the week from a phone; a household sees it on its
dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.pickup import scenario

pytestmark = pytest.mark.browser


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_a_producer_announces_the_basket_and_a_household_sees_it(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    setup = scenario.make_day(occurrence_date=paris_today() + timedelta(days=3))
    farmer = factories.UserFactory(email="paul@exemple.fr")
    factories.MembershipFactory(
        user=farmer, organisation=setup.offer.producer, role="producer_staff"
    )
    household = factories.UserFactory(email="martin@exemple.fr", name="Foyer Martin")
    factories.MembershipFactory(user=household, organisation=setup.day.group, role="member")
    scenario.add_basket(setup, user=household, size_index=0)
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    _log_in(page, live_server, "paul@exemple.fr")
    page.goto(f"{live_server}/producteurs/{setup.offer.producer.slug}/offres")
    page.get_by_role("link", name="Panier de la semaine").first.click()
    page.get_by_role("link", name="Annoncer le panier").first.click()
    page.get_by_label("Petit").fill("Carottes — 1 kg\nPoireaux — 3 pièces")
    page.get_by_label("Grand").fill("Carottes — 2 kg")
    page.get_by_label("Un mot pour les adhérent·es (facultatif)").fill("Premières fèves !")
    page.get_by_role("button", name="Annoncer le panier").click()
    expect(page.get_by_text(re.compile(r"Le panier du .* est annoncé\."))).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    _log_in(page, live_server, "martin@exemple.fr")
    page.goto(f"{live_server}/tableau-de-bord")
    next_pickup = page.locator("section.household-next")
    expect(next_pickup.get_by_text("Poireaux — 3 pièces")).to_be_visible()
    expect(next_pickup.get_by_text("Premières fèves !")).to_be_visible()
    expect(next_pickup.get_by_text("Carottes — 2 kg")).to_have_count(0)

    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
