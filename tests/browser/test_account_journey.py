"""A person creates an account, logs out, logs in again; the pages break no security rule."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = pytest.mark.browser

NAME = "Camille Durand"
EMAIL = "camille.durand@exemple.fr"
PASSWORD = "Radis-Poireaux-Courges-2026"


def expect_dashboard(page: Page, live_server: str) -> None:
    expect(page).to_have_url(f"{live_server}/tableau-de-bord")
    expect(page.get_by_role("heading", level=1, name="Tableau de bord")).to_be_visible()


def test_a_person_registers_logs_out_and_logs_in_again(page: Page, live_server: str):
    page.goto(f"{live_server}/compte/inscription")
    page.locator("input[name=name]").fill(NAME)
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password_confirm]").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect_dashboard(page, live_server)

    page.get_by_role("button", name="Se déconnecter").click()

    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=remember]").check()
    page.get_by_role("button", name="Se connecter", exact=True).click()

    expect_dashboard(page, live_server)
    cookie_names = {cookie["name"] for cookie in page.context.cookies()}
    assert "remember_token" in cookie_names, "« Se souvenir de moi » doit garder la session"


def test_home_page_breaks_no_content_security_policy_rule(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    response = page.goto(f"{live_server}/")
    page.wait_for_load_state("networkidle")

    assert response is not None and response.ok
    assert "default-src 'self'" in response.headers["content-security-policy"]
    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
