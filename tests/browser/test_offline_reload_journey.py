"""A phone that reloads its list while offline keeps everything: what the server already had
(ticks synced earlier, sales recorded earlier) and what the phone still holds in its queue.
Back online, the server holds each tap and each sale once. A list never opened on the phone,
reached offline, says so plainly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, WalkInSale
from marketplace.organisations.models import Role
from marketplace.pickup.models import ChecklistTap
from tests import factories
from tests.grocery_shop import stop_checklist_support as stop_support
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.pickup import scenario

pytestmark = pytest.mark.browser

ONLINE = "En ligne : tout est enregistré."


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def _offline_ready(page: Page) -> None:
    """The service worker controls the page and the phone has its offline copies."""
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true")


def _state(page: Page, name: str):
    return page.locator(".checklist-line", has_text=name).locator("[data-line-state]")


def _tick(page: Page, name: str) -> None:
    line = page.locator(".checklist-line", has_text=name)
    line.get_by_role("button", name="Récupéré", exact=True).click()
    expect(line.locator("[data-line-state]")).to_have_text("Récupéré")


def _no_csp_violation(console_messages: list[ConsoleMessage]) -> None:
    assert not [m.text for m in console_messages if "Content Security Policy" in m.text]


def test_a_day_reloaded_offline_keeps_synced_and_queued_ticks(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    setup = scenario.make_day()
    scenario.add_households(setup, 9)
    scenario.volunteer(setup, user=factories.UserFactory(email="benevole@exemple.fr"))
    db.session.commit()
    day_id = setup.day.id
    _log_in(page, live_server, "benevole@exemple.fr")

    page.goto(f"{live_server}/distributions/{day_id}/liste")
    expect(page.locator("#sync-status")).to_have_text(ONLINE)
    _offline_ready(page)
    for name in ("Foyer 0000", "Foyer 0001"):
        _tick(page, name)
    expect(page.locator("#sync-status")).to_have_text(ONLINE)
    expect(page.locator("[data-households-done]")).to_have_text("2")

    page.context.set_offline(True)
    for name in ("Foyer 0002", "Foyer 0003", "Foyer 0004"):
        _tick(page, name)
    expect(page.locator("[data-households-done]")).to_have_text("5")

    page.reload()
    expect(page.get_by_role("heading", name="Liste du jour")).to_be_visible()
    for name in ("Foyer 0000", "Foyer 0001", "Foyer 0002", "Foyer 0003", "Foyer 0004"):
        expect(_state(page, name)).to_have_text("Récupéré")
    for name in ("Foyer 0005", "Foyer 0008"):
        expect(_state(page, name)).to_have_text("À remettre")
    expect(page.locator("[data-households-done]")).to_have_text("5")
    expect(page.locator("#sync-status")).to_contain_text("5 pointages en attente")

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text(ONLINE)
    db.session.expire_all()
    collected = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.state == "collected")
    )
    assert collected == 5
    # One tap per thing handed over: even households also took extras (basket + order).
    taps = db.session.scalars(select(ChecklistTap.tap_id)).all()
    assert len(taps) == len(set(taps)) == 2 + 1 + 2 + 1 + 2
    _no_csp_violation(console_messages)


def test_a_list_never_opened_says_so_offline(page: Page, live_server: str):
    first = scenario.make_day()
    scenario.add_households(first, 1)
    volunteer = factories.UserFactory(email="benevole@exemple.fr")
    scenario.volunteer(first, user=volunteer)
    other = factories.DistributionDayFactory(
        schedule=first.day.schedule, occurrence_date=first.day.day + timedelta(days=7)
    )
    factories.ShiftSignupFactory(distribution_day=other, user=volunteer)
    db.session.commit()
    _log_in(page, live_server, "benevole@exemple.fr")

    page.goto(f"{live_server}/distributions/{first.day.id}/liste")
    _offline_ready(page)
    page.context.set_offline(True)
    page.goto(f"{live_server}/distributions/{other.id}/liste")
    expect(
        page.get_by_role("heading", name="Liste pas encore ouverte sur ce téléphone")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("avec du réseau")


def test_a_stop_reloaded_offline_keeps_synced_and_queued_ticks(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    stop = stop_support.make_stop(days_ahead=0)
    names = ("Awa Diallo", "Famille Morel", "Lucie Bernard", "Paul Petit")
    for name in names:
        stop_support.add_pre_order(stop, name=name)
    stop_support.staff(stop, user=factories.UserFactory(email="equipe@exemple.fr"))
    db.session.commit()
    _log_in(page, live_server, "equipe@exemple.fr")

    page.goto(f"{live_server}/distributions/arrets/{stop.run_stop.id}/liste")
    expect(page.locator("#sync-status")).to_have_text(ONLINE)
    _offline_ready(page)
    _tick(page, "Awa Diallo")
    _tick(page, "Famille Morel")
    expect(page.locator("#sync-status")).to_have_text(ONLINE)

    page.context.set_offline(True)
    _tick(page, "Lucie Bernard")
    page.reload()
    expect(page.get_by_role("heading", name="Liste de l'arrêt")).to_be_visible()
    for name in ("Awa Diallo", "Famille Morel", "Lucie Bernard"):
        expect(_state(page, name)).to_have_text("Récupéré")
    expect(_state(page, "Paul Petit")).to_have_text("À remettre")
    expect(page.locator("[data-households-done]")).to_have_text("3")

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text(ONLINE)
    db.session.expire_all()
    states = {
        pre_order.beneficiary.household_name: pre_order.pickup_state
        for pre_order in db.session.scalars(select(PreOrder))
    }
    assert states == {
        "Awa Diallo": "collected",
        "Famille Morel": "collected",
        "Lucie Bernard": "collected",
        "Paul Petit": "pending",
    }
    taps = db.session.scalars(select(ChecklistTap.tap_id)).all()
    assert len(taps) == len(set(taps)) == 3
    _no_csp_violation(console_messages)


def test_walk_in_sales_reloaded_offline_keep_the_takings(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    van = make_run(days_ahead=0)
    item(van.grocery, name="Carottes", unit="kg", shelf_price_cents=280)
    item(van.grocery, name="Pain", unit="piece", shelf_price_cents=4)
    staff = factories.UserFactory(email="equipe@exemple.fr")
    factories.MembershipFactory(user=staff, organisation=van.grocery, role=Role.GROCERY_STAFF.value)
    household(van.grocery, household_name="Foyer Martin", tier_percent=30)
    db.session.commit()
    _log_in(page, live_server, "equipe@exemple.fr")

    page.goto(f"{live_server}/distributions/arrets/{van.stops[0].id}/liste")
    status = page.locator("#walk-in-status")
    expect(status).to_have_text("En ligne : les ventes sont enregistrées.")
    _offline_ready(page)
    takings = page.locator("#walk-in-takings")

    page.get_by_label("Produit").select_option(label="Carottes — 20 kg · 2,80\u00a0€/kg")
    page.get_by_label("Quantité").fill("1")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(takings).to_have_text("2,80\u00a0€")
    expect(status).to_have_text("En ligne : les ventes sont enregistrées.")
    expect(page.locator("#walk-in-list .walk-in-sale")).to_have_count(1)

    page.context.set_offline(True)
    page.get_by_label("Produit").select_option(label="Pain — 20 pièces · 0,04\u00a0€/pièce")
    page.get_by_label("Quantité").fill("1")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(takings).to_have_text("2,84\u00a0€")

    page.reload()
    expect(page.get_by_role("heading", name="Ventes sur place")).to_be_visible()
    expect(page.locator("#walk-in-list .walk-in-sale")).to_have_count(2)
    expect(takings).to_have_text("2,84\u00a0€")
    expect(status).to_contain_text("1 vente en attente d’envoi")

    page.context.set_offline(False)
    expect(status).to_have_text("En ligne : les ventes sont enregistrées.")
    expect(takings).to_have_text("2,84\u00a0€")
    db.session.expire_all()
    sales = db.session.scalars(select(WalkInSale).order_by(WalkInSale.total_cents)).all()
    assert [sale.total_cents for sale in sales] == [4, 280]
    _no_csp_violation(console_messages)
