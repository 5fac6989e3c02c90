"""The page's JavaScript clock is the suite's pinned clock (tests/clock.py), not the machine's:
what a phone stamps on a tap or a sale must agree with the server at every swept date."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page

from marketplace.timezones import paris_today

pytestmark = pytest.mark.browser

PARIS_DATE = "new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Paris'}).format(new Date())"


def test_the_page_reads_the_servers_instant_and_its_paris_date(page: Page, live_server: str):
    page.goto(f"{live_server}/healthz")
    page_now = page.evaluate("Date.now()") / 1000
    assert abs(page_now - datetime.now(UTC).timestamp()) < 5
    assert page.evaluate(PARIS_DATE) == paris_today().isoformat()


def test_the_pages_clock_ticks_like_the_servers(page: Page, live_server: str):
    page.goto(f"{live_server}/healthz")
    before = page.evaluate("Date.now()")
    time.sleep(0.3)
    after = page.evaluate("Date.now()")
    assert 250 <= after - before < 5_000
