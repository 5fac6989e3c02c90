"""A volunteer opens the day's checklist, loses the network, ticks three households, gets
the network back, and the server holds exactly what the phone showed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from marketplace.baskets.models import Delivery
from marketplace.extensions import db
from marketplace.pickup.models import ChecklistTap
from marketplace.shop.models import Order
from tests import factories
from tests.pickup import scenario

pytestmark = pytest.mark.browser


def test_offline_ticks_reach_the_server(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    setup = scenario.make_day()
    scenario.add_households(setup, 5)
    scenario.volunteer(setup, user=factories.UserFactory(email="benevole@exemple.fr"))
    db.session.commit()
    day_id = setup.day.id
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("benevole@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto(f"{live_server}/distributions/{day_id}/liste")
    expect(page.get_by_role("heading", name="Liste du jour")).to_be_visible()
    expect(page.locator("#sync-status")).to_have_text("En ligne : tout est enregistré.")
    page.get_by_label("Chercher un nom").fill("foyer 0003")
    expect(page.locator(".checklist-line:visible")).to_have_count(1)
    page.get_by_label("Chercher un nom").fill("")

    page.context.set_offline(True)
    for name in ("Foyer 0000", "Foyer 0001", "Foyer 0002"):
        line = page.locator(".checklist-line", has_text=name)
        line.get_by_role("button", name="Récupéré", exact=True).click()
        expect(line.locator("[data-line-state]")).to_have_text("Récupéré")
    expect(page.locator("#sync-status")).to_contain_text("en attente")
    expect(page.locator("[data-households-done]")).to_have_text("3")
    db.session.expire_all()
    assert _collected_deliveries() == 0  # nothing reached the server yet

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text("En ligne : tout est enregistré.")

    db.session.expire_all()
    assert _collected_deliveries() == 3
    orders = db.session.scalars(select(Order).order_by(Order.id)).all()
    assert [order.pickup_state for order in orders] == ["collected", "collected", "pending"]
    # Stamped by the phone's clock, which is the suite's (tests/browser/conftest.py).
    taps = db.session.scalars(select(ChecklistTap)).all()
    assert taps
    assert all(abs(tap.tapped_at - datetime.now(UTC)) < timedelta(minutes=2) for tap in taps)
    page.reload()
    for name in ("Foyer 0000", "Foyer 0001", "Foyer 0002"):
        line = page.locator(".checklist-line", has_text=name)
        expect(line.locator("[data-line-state]")).to_have_text("Récupéré")
    expect(
        page.locator(".checklist-line", has_text="Foyer 0003").locator("[data-line-state]")
    ).to_have_text("À remettre")
    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]


def _collected_deliveries() -> int:
    return len(db.session.scalars(select(Delivery).where(Delivery.state == "collected")).all())
