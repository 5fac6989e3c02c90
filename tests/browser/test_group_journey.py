"""A household joins an AMAP group; a coordinator then makes them a volunteer and chooses the
producers who supply the group."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


def log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_a_household_joins_and_a_coordinator_gives_them_a_role(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    group = factories.GroupFactory(name="AMAP des Pentes")
    farm = factories.ProducerFactory(name="Ferme des Combes")
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    factories.ProducerFactory(name="Boulangerie du Moulin", city="Mornant")
    factories.PickupPointFactory(group=group, name="Préau de l'école")
    factories.UserFactory(name="Camille Durand", email="camille@exemple.fr")
    coordinator = factories.UserFactory(name="Dominique Coord", email="dominique@exemple.fr")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    slug = group.slug

    log_in(page, live_server, "camille@exemple.fr")
    page.goto(f"{live_server}/groupes/{slug}")
    expect(page.get_by_role("heading", level=1, name="AMAP des Pentes")).to_be_visible()
    expect(page.get_by_role("link", name="Ferme des Combes")).to_be_visible()
    expect(page.get_by_text("Préau de l'école")).to_be_visible()
    page.get_by_role("button", name="Rejoindre ce groupe").click()
    expect(page.get_by_text("Bienvenue dans le groupe AMAP des Pentes !")).to_be_visible()
    expect(page.get_by_text("Vous êtes adhérent·e de ce groupe")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, live_server, "dominique@exemple.fr")
    page.goto(f"{live_server}/groupes/{slug}")
    page.get_by_role("link", name="Personnes, rôles et producteur·rices").click()
    page.get_by_label("Adresse e-mail de la personne").fill("camille@exemple.fr")
    page.get_by_label("Rôle", exact=True).select_option(label="Bénévole")
    page.get_by_role("button", name="Donner ce rôle").click()

    expect(page.get_by_text("Camille Durand a maintenant le rôle « Bénévole ».")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Camille Durand")
    expect(row).to_contain_text("Adhérent·e")
    expect(row).to_contain_text("Bénévole")

    # The last coordinator cannot step down by mistake.
    page.get_by_role(
        "button", name="Retirer le rôle « Coordinateur·rice » à Dominique Coord"
    ).click()
    expect(
        page.get_by_text("Le groupe doit garder au moins un·e coordinateur·rice.")
    ).to_be_visible()

    # The producers who supply the group have a screen of their own.
    page.get_by_role("link", name="Producteur·rices qui livrent le groupe").click()
    expect(
        page.get_by_role(
            "heading", level=1, name="Les producteur·rices qui livrent AMAP des Pentes"
        )
    ).to_be_visible()
    page.get_by_label("Producteur·rice", exact=True).select_option(
        label="Boulangerie du Moulin (Mornant)"
    )
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.get_by_text("Boulangerie du Moulin livre maintenant ce groupe.")).to_be_visible()
    page.get_by_role(
        "button", name="Retirer Ferme des Combes des producteur·rices du groupe"
    ).click()
    expect(page.get_by_text("Ferme des Combes ne livre plus ce groupe.")).to_be_visible()
    page.get_by_role("link", name="← Retour à la page du groupe").click()
    expect(page.get_by_role("link", name="Boulangerie du Moulin")).to_be_visible()
    expect(page.get_by_role("link", name="Ferme des Combes")).to_have_count(0)

    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
