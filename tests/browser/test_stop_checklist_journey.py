"""The grocery's staff open a stop's checklist from their lists, lose the network at the stop,
tick a household collected, get the network back, and the server has the pre-order collected."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from tests import factories
from tests.grocery_shop import stop_checklist_support as support

pytestmark = pytest.mark.browser


def test_offline_tick_at_a_stop_reaches_the_server(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    stop = support.make_stop(days_ahead=0)
    for name in ("Awa Diallo", "Famille Morel", "Lucie Bernard"):
        support.add_pre_order(stop, name=name)
    support.staff(stop, user=factories.UserFactory(email="equipe@exemple.fr"))
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("equipe@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto(f"{live_server}/distributions/")
    page.locator(".day-list li", has_text="Village A").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Liste de l'arrêt")).to_be_visible()
    expect(page.locator("#sync-status")).to_have_text("En ligne : tout est enregistré.")

    page.context.set_offline(True)
    line = page.locator(".checklist-line", has_text="Famille Morel")
    line.get_by_role("button", name="Récupéré", exact=True).click()
    expect(line.locator("[data-line-state]")).to_have_text("Récupéré")
    expect(page.locator("#sync-status")).to_contain_text("en attente")
    expect(page.locator("[data-households-done]")).to_have_text("1")
    db.session.expire_all()
    assert _states() == {
        "Awa Diallo": "pending",
        "Famille Morel": "pending",
        "Lucie Bernard": "pending",
    }

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text("En ligne : tout est enregistré.")

    db.session.expire_all()
    assert _states() == {
        "Awa Diallo": "pending",
        "Famille Morel": "collected",
        "Lucie Bernard": "pending",
    }
    page.reload()
    expect(
        page.locator(".checklist-line", has_text="Famille Morel").locator("[data-line-state]")
    ).to_have_text("Récupéré")
    expect(
        page.locator(".checklist-line", has_text="Awa Diallo").locator("[data-line-state]")
    ).to_have_text("À remettre")
    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]


def _states() -> dict[str, str]:
    return {
        pre_order.beneficiary.household_name: pre_order.pickup_state
        for pre_order in db.session.scalars(select(PreOrder))
    }
