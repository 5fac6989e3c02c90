"""A member signs up for a shift from the dashboard on a phone, then cancels; a coordinator
assigns someone to the role still missing people."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories
from tests.shifts.support import day_in

pytestmark = pytest.mark.browser


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_a_member_signs_up_and_a_coordinator_assigns(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    day = day_in(10)
    group = day.group
    factories.VolunteerRoleFactory(group=group, name="Émargement", needed_per_day=2)
    member = factories.UserFactory(email="sami@exemple.fr", name="Sami Haddad")
    factories.MembershipFactory(user=member, organisation=group, role="member")
    coordinator = factories.UserFactory(email="coord@exemple.fr", name="Nora Coord")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    other = factories.UserFactory(name="Yanis Martin")
    factories.MembershipFactory(user=other, organisation=group, role="member")
    db.session.commit()
    mine = page.locator("section[aria-labelledby=mes-permanences]")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    _log_in(page, live_server, "sami@exemple.fr")
    page.get_by_role("link", name="Mes prochaines permanences").click()
    page.get_by_role("button", name="Je m'inscris").click()
    expect(page.get_by_text("Merci ! Vous êtes inscrit·e : Émargement.")).to_be_visible()
    expect(mine).to_contain_text("Émargement")
    page.get_by_role("button", name="Me désinscrire").click()
    expect(page.get_by_text("Vous n'êtes plus inscrit·e à cette permanence.")).to_be_visible()
    expect(mine).to_contain_text("aucune permanence")
    page.get_by_role("button", name="Se déconnecter").click()

    _log_in(page, live_server, "coord@exemple.fr")
    page.get_by_role("link", name="Suivi des permanences").click()
    expect(page.get_by_text("Il manque 2 personnes")).to_be_visible()
    page.get_by_role("link", name="Inscrire des bénévoles").click()
    page.get_by_label("Personne à inscrire").select_option(label="Yanis Martin")
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_text("Yanis Martin est inscrit·e : Émargement.")).to_be_visible()
    page.get_by_role("button", name="Nommer responsable").click()
    expect(page.get_by_text("Yanis Martin est responsable de la permanence.")).to_be_visible()

    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
