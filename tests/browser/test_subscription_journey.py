"""A household subscribes to a basket contract, checks its schedule, then declares an absence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.delivery.recurrence import WEEKDAYS
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.browser.test_group_journey import log_in

pytestmark = pytest.mark.browser


def _contract_with_coming_days():
    """A weekly contract whose whole season is four coming days, on its calendar's weekday
    (whichever weekday today gives): the calendar already covers the season, as planned."""
    days = [paris_today() + timedelta(weeks=week, days=3) for week in range(1, 5)]
    offer = factories.BasketOfferFactory(
        name="Légumes des Combes",
        absence_policy="credit",
        season_starts_on=days[0],
        season_ends_on=days[-1],
    )
    factories.BasketSizeFactory(offer=offer, name="Grand panier", price_cents=1900, capacity=10)
    factories.PriceTierFactory(offer=offer, name="Standard", percent=100)
    point = factories.PickupPointFactory(group=offer.group, name="Préau de l'école")
    schedule = factories.DistributionScheduleFactory(
        pickup_point=point,
        rrule=f"FREQ=WEEKLY;BYDAY={WEEKDAYS[days[0].weekday()]}",
        starts_on=days[0],
    )
    for day in days:
        factories.DistributionDayFactory(schedule=schedule, occurrence_date=day)
    member = factories.UserFactory(name="Camille Durand", email="camille@exemple.fr")
    factories.MembershipFactory(user=member, organisation=offer.group, role="member")
    db.session.commit()
    return offer


def test_a_household_subscribes_and_declares_an_absence(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    offer = _contract_with_coming_days()
    slug = offer.group.slug

    log_in(page, live_server, "camille@exemple.fr")
    page.goto(f"{live_server}/groupes/{slug}/offres")
    page.get_by_role("link", name="Légumes des Combes").first.click()
    expect(page.get_by_role("heading", level=1, name="Légumes des Combes")).to_be_visible()
    page.get_by_role("link", name="S'abonner").click()

    page.get_by_label("Grand panier", exact=False).check()
    page.get_by_label("Lieu de distribution").select_option(label="Préau de l'école, Villeurbanne")
    page.get_by_label("Standard (100 %)").check()
    page.get_by_label("Une échéance par mois").check()
    page.get_by_label("Chèque").check()
    page.get_by_role("button", name="Voir le récapitulatif").click()

    # Four weekly deliveries at 19,00 € each; nothing is saved before confirming.
    recap = page.locator("section.preview")
    expect(recap).to_contain_text("76,00")
    expect(recap.locator(".day-list li")).to_have_count(4)
    page.get_by_role("button", name="Confirmer mon inscription").click()

    expect(
        page.get_by_role("heading", level=1, name="Mon inscription au contrat Légumes des Combes")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("76,00")

    page.goto(f"{live_server}/mes-paniers")
    page.get_by_role("button", name="Je serai absent·e").first.click()
    expect(page.locator(".flash").first).to_be_visible()
    expect(page.get_by_role("button", name="Annuler l'absence")).to_have_count(1)

    csp_errors = [m.text for m in console_messages if "Content Security Policy" in m.text]
    assert csp_errors == []
