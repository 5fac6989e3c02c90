"""The map of the territory draws the listed places with the app's own Leaflet, within the
Content-Security-Policy, even when the tile server does not answer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


def test_the_map_draws_the_places_and_the_list_stays(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    factories.PickupPointFactory(name="Salle des fêtes")
    factories.ProducerFactory(name="Ferme des Saules")
    factories.RouteStopFactory(village="Saint-Sorlin")
    db.session.commit()
    page.route(re.compile(r"https://tile\.openstreetmap\.org/.*"), lambda route: route.abort())
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server}/carte")

    expect(page.locator("#places-map")).to_be_visible()
    expect(page.locator("#places-map path.leaflet-interactive")).to_have_count(3)
    expect(page.get_by_role("link", name="Salle des fêtes")).to_be_visible()
    expect(page.get_by_role("link", name="Saint-Sorlin")).to_be_visible()
    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
