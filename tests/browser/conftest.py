"""Browser tests: the real app (CSRF on) served on loopback, driven by headless Chromium.

Debian's Chromium is used through Playwright's API (never `playwright install`, which downloads
a browser); without it these tests are skipped with a message saying how to install it. When a
test fails, a screenshot of its page is saved under test-artifacts/.

The live server runs in this process, so its clock is the suite's pinned one (tests/clock.py);
each page's JavaScript clock (`Date`, timers) is installed at that same instant and ticks from
there, so the times a phone stamps on its taps and sales agree with the server's.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from werkzeug.serving import make_server

from marketplace import PROJECT_ROOT

CHROMIUM_ABSENT = (
    "Chromium absent : installez-le avec `apt-get install chromium` (Debian) "
    "pour lancer les tests navigateur."
)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network: keep Chromium from calling home at every start.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Generous, for a loaded two-core CI machine running two dates of the calendar sweep side by
# side (localstripe's 3-D Secure pages are the slowest); a passing test never waits this long.
ACTION_TIMEOUT_MS = 30_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def find_chromium() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    executable = find_chromium()
    if executable is None:
        pytest.skip(CHROMIUM_ABSENT)
    return executable


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class InFlight:
    """Counts the live server's requests under way, so a test's database is emptied only
    once the page's last request (a checklist sync, say) has finished with it."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        with self.lock:
            self.count += 1
        try:
            # Read the whole body inside the count: the request is done when it is sent.
            body = self.wsgi_app(environ, start_response)
            try:
                return list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.lock:
                self.count -= 1

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count and time.monotonic() < deadline:
            time.sleep(0.02)


IN_FLIGHT: InFlight | None = None


@pytest.fixture(scope="session")
def live_server(app: Flask, make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app with real CSRF protection, served on a free loopback port in a thread.

    It shares the test database, so `factories` rows committed by a test are visible to it.
    """
    global IN_FLIGHT
    served = make_app(WTF_CSRF_ENABLED=True)
    IN_FLIGHT = InFlight(served.wsgi_app)
    served.wsgi_app = IN_FLIGHT
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def console_messages() -> list[ConsoleMessage]:
    """Every console message the test's page logged (CSP violations show up here)."""
    return []


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    browser: Browser,
    console_messages: list[ConsoleMessage],
    _pinned_clock: None,
) -> Iterator[Page]:
    """A fresh browser profile (no cookies) in French, for one test, on the suite's clock."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    # The process's clock is pinned (and ticking): start the page's clock at its reading now.
    context.clock.install(time=datetime.now(UTC))
    new_page = context.new_page()
    new_page.on("console", lambda message: console_messages.append(message))
    yield new_page
    reports = request.node.stash.get(_reports, {})
    if any(report.failed for report in reports.values()):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        new_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    if IN_FLIGHT is not None:
        IN_FLIGHT.wait_until_idle()
