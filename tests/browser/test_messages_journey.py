"""A coordinator writes to one contract's subscribers on a phone: the preview names who will
receive it, then the message is sent and listed with its deliveries."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


def test_a_coordinator_previews_and_sends_a_message_to_a_segment(
    page: Page, live_server: str, console_messages: list[ConsoleMessage], outbox
):
    offer = factories.BasketOfferFactory(name="Légumes du Val")
    group = offer.group
    for name, email in (("Awa Diallo", "awa@exemple.fr"), ("Luc Moreau", "luc@exemple.fr")):
        household = factories.UserFactory(name=name, email=email)
        factories.MembershipFactory(user=household, organisation=group, role="member")
        factories.SubscriptionFactory(offer=offer, user=household)
    outsider = factories.UserFactory(name="Inès Sans Contrat")
    factories.MembershipFactory(user=outsider, organisation=group, role="member")
    coordinator = factories.UserFactory(email="coord@exemple.fr", name="Nora Coord")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("coord@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_role("link", name="Écrire aux foyers").click()

    page.get_by_label("Destinataires").select_option(label="Légumes du Val")
    page.get_by_label("Objet").fill("Paniers de jeudi")
    page.get_by_label("Message (texte simple)").fill("Bonjour,\nles paniers arrivent à 18 h 30.")
    page.get_by_role("button", name="Voir les destinataires").click()

    preview = page.locator("#message-preview")
    expect(preview).to_contain_text("2 foyers recevront ce message")
    expect(preview).to_contain_text("Awa Diallo")
    expect(preview).to_contain_text("Luc Moreau")
    expect(preview).not_to_contain_text("Inès")
    assert outbox == []

    page.get_by_role("button", name="Envoyer le message").click()
    expect(
        page.get_by_text("Message envoyé à Abonnés d'un contrat : Légumes du Val.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Paniers de jeudi")).to_be_visible()
    assert sorted(message["To"] for message in outbox) == ["awa@exemple.fr", "luc@exemple.fr"]
    assert all(message["Reply-To"] == "coord@exemple.fr" for message in outbox)
    assert [m for m in console_messages if m.type == "error"] == []
