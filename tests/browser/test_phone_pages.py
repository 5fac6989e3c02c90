"""Every role's main pages on a phone (390 × 844 CSS px), in the demo territory: nothing wider
than the screen, every button and button-like link at least 44 × 44 px, a header of at most
about 80 px, and an accessibility audit by axe-core with no critical or serious violation.

The pages of a role are its dashboard and the pages the dashboard links to (the main ones, by
construction). axe-core comes from the npm registry through the project's package.json
(`make test` runs `npm ci`); without it the audit is skipped with a message. The audit's page
bypasses the Content Security Policy only to inject axe's script.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from marketplace import PROJECT_ROOT
from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import DEMO_PASSWORD, demo_email
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests.browser.conftest import ACTION_TIMEOUT_MS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES_PER_ROLE = 14
HEADER_MAX_PX = 80
ROLES = {
    "household": "foyer.martin",
    "volunteer": "benevole.lucas",
    "coordinator": "claire.coordination",
    "producer": "ferme.coteau",
    "grocery": "epicerie.passerelle",
}
SKIPPED_PATHS = ("/static/", "/compte/deconnexion", "/api/")
SKIPPED_ENDINGS = (".csv", ".ics", ".pdf", ".png", ".svg", ".webmanifest")

# Run in the page: what is wider than the screen, what is too small to tap (phone_checks.js);
# axe-core's critical and serious violations (phone_axe.js).


def _script(name: str) -> str:
    """A function's source for page.evaluate, without its leading comment lines."""
    lines = Path(__file__).with_name(name).read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("//")).strip()


CHECKS = _script("phone_checks.js")
AXE_RUN = _script("phone_axe.js")


@pytest.fixture
def demo_territory(app) -> None:
    seed_demo_territory(paris_today(), horizon_weeks=6)
    db.session.commit()


@pytest.fixture
def phone(browser: Browser):
    """A phone-sized page that may inject axe-core's script despite the page's CSP."""
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, bypass_csp=True
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def _main_pages(page: Page, live_server: str) -> list[str]:
    """The dashboard and the pages it links to, each once, at most PAGES_PER_ROLE."""
    page.goto(f"{live_server}/tableau-de-bord")
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.href)")
    pages, seen = [f"{live_server}/tableau-de-bord"], {"/tableau-de-bord"}
    for href in hrefs:
        parts = urlsplit(href)
        path = parts.path
        if href.startswith(live_server) and path not in seen:
            if path.startswith(SKIPPED_PATHS) or path.endswith(SKIPPED_ENDINGS):
                continue
            if "format=csv" in parts.query:
                continue
            seen.add(path)
            pages.append(href.split("#")[0])
    return pages[:PAGES_PER_ROLE]


def _audit(page: Page, with_axe: bool) -> list[str]:
    found = page.evaluate(CHECKS)
    problems = []
    if found["scrollWidth"] > found["width"] + 1:
        problems.append(f"page {found['scrollWidth']}px wide: {found['wide']}")
    elif found["wide"]:
        problems.append(f"wider than the screen: {found['wide']}")
    if found["small"]:
        problems.append(f"under 44 × 44 px: {found['small']}")
    if found["header"] > HEADER_MAX_PX:
        problems.append(f"header {found['header']}px high")
    if with_axe:
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(AXE_RUN)
        if violations:
            problems.append(f"axe: {violations}")
    return problems


@pytest.mark.parametrize("role", sorted(ROLES))
def test_main_pages_fit_a_phone_and_pass_the_audit(
    role: str, demo_territory, phone: Page, live_server: str, request: pytest.FixtureRequest
):
    with_axe = AXE.is_file()
    _log_in(phone, live_server, demo_email(ROLES[role]))
    pages = _main_pages(phone, live_server)
    assert len(pages) >= 3, pages

    report: dict[str, list[str]] = {}
    for url in pages:
        response = phone.goto(url)
        assert response is not None and response.status < 500, url
        problems = _audit(phone, with_axe)
        if problems:
            report[urlsplit(url).path] = problems
    _write_checked(role, pages)

    assert report == {}, json.dumps(report, ensure_ascii=False, indent=1)
    if not with_axe:
        pytest.skip(f"axe-core absent ({AXE}) : `make test` l'installe (npm ci).")


def test_the_public_pages_fit_a_phone(demo_territory, phone: Page, live_server: str):
    for path in ("/", "/compte/connexion", "/compte/inscription", "/carte"):
        phone.goto(f"{live_server}{path}")
        assert _audit(phone, AXE.is_file()) == [], path


def test_the_volunteers_list_of_the_day_fits_a_phone(demo_territory, phone: Page, live_server: str):
    """Lucas is on today's roster in the demo: the list he opens from his dashboard, with its
    lines drawn, is checked like the main pages."""
    _log_in(phone, live_server, demo_email(ROLES["volunteer"]))
    phone.goto(f"{live_server}/tableau-de-bord")
    phone.locator("main").get_by_role("link", name="Liste du jour").first.click()
    phone.locator("main a[href$='/liste']").first.click()
    expect(phone.locator(".checklist-line").first).to_be_visible()
    assert _audit(phone, AXE.is_file()) == [], phone.url
    _write_checked("volunteer-list", [phone.url])


def _write_checked(role: str, pages: list[str]) -> None:
    """The pages checked at 390 px, for the closing note (test-artifacts/ is git-ignored)."""
    folder = Path(PROJECT_ROOT) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    paths = sorted({urlsplit(url).path for url in pages})
    (folder / f"phone-pages-{role}.txt").write_text("\n".join(paths) + "\n")
