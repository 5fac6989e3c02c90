"""A household subscribes paying by card, then pays its first installment through Stripe.js
(localstripe's mock of it), with 3-D Secure."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from marketplace.baskets.models import Delivery
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from tests.browser.test_group_journey import log_in
from tests.browser.test_subscription_journey import _contract_with_coming_days

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("stripe_server")]


def test_a_household_pays_its_first_installment_by_card(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    offer = _contract_with_coming_days()
    log_in(page, live_server, "camille@exemple.fr")
    page.goto(f"{live_server}/offres/{offer.id}/souscrire")
    page.get_by_label("Grand panier", exact=False).check()
    page.get_by_label("Lieu de distribution").select_option(label="Préau de l'école, Villeurbanne")
    page.get_by_label("Standard (100 %)").check()
    page.get_by_label("Une échéance par mois").check()
    page.get_by_label("Carte bancaire").check()
    page.get_by_role("button", name="Voir le récapitulatif").click()
    page.get_by_role("button", name="Confirmer mon inscription").click()

    page.get_by_role("link", name="Payer par carte / prélèvement l'échéance n° 1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payer l'échéance")
    card = page.locator(".card-element")
    card.locator("input[placeholder=number]").fill("4000002500003155")  # asks for 3-D Secure
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("69100")
    cents = _first_monthly_installment_cents()
    page.get_by_role("button", name=f"Payer {cents // 100},{cents % 100:02d}").click()
    # The card is set up (3-D Secure once), then the bank asks again for the payment.
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("button", name="Confirmer auprès de ma banque").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator(".card-result")).to_contain_text("Paiement reçu")

    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []


def _first_monthly_installment_cents() -> int:
    """One installment a month: the first pays the deliveries of the first delivery's month
    (one to four of the four weekly days, depending on today's date)."""
    deliveries = db.session.execute(
        select(DistributionDay.day, Delivery.price_cents * Delivery.quantity).join(
            Delivery.distribution_day
        )
    ).all()
    first = min(day for day, _ in deliveries)
    return sum(
        cents for day, cents in deliveries if (day.year, day.month) == (first.year, first.month)
    )
