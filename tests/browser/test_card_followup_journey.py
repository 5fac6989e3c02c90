"""A coordinator follows up a refused card payment: sees why, and stops the automatic retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories

pytestmark = pytest.mark.browser


def test_a_coordinator_stops_the_retries_of_a_refused_card_payment(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    group = factories.GroupFactory(name="AMAP des Pentes")
    offer = factories.BasketOfferFactory(supply__group=group, name="Légumes d'hiver")
    household = factories.UserFactory(name="Camille Durand")
    subscription = factories.SubscriptionFactory(offer=offer, user=household, payment_method="card")
    installment = factories.InstallmentFactory(
        subscription=subscription,
        due_on=paris_today() - timedelta(days=1),
        amount_cents=4500,
        state="failed",
        charge_retry_on=paris_today() + timedelta(days=2),
    )
    factories.CardPaymentFactory(
        installment=installment, state="failed", off_session=True, failure_code="insufficient_funds"
    )
    coordinator = factories.UserFactory(email="dominique@exemple.fr")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("dominique@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.goto(f"{live_server}/tableau-de-bord")
    page.get_by_role("link", name="Paiements par carte refusés ou en cours").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("AMAP des Pentes")
    row = page.get_by_role("row").filter(has_text="Camille Durand")
    expect(row).to_contain_text("La provision du compte était insuffisante.")
    expect(row).to_contain_text("Légumes d'hiver")
    row.get_by_role("button", name="Arrêter les essais automatiques").click()

    expect(
        page.get_by_text("Les essais automatiques sont arrêtés pour cette échéance.")
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Camille Durand")
    expect(row).to_contain_text("Aucun essai automatique")
    expect(row.get_by_role("button", name="Arrêter les essais automatiques")).to_have_count(0)
    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]
