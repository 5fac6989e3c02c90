"""Shared fixtures: the app on SQLite (or PostgreSQL via DATABASE_URL), a clean database
for each test, a real SMTP server, and helpers to log in as any role."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_babel
import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import text

import marketplace.models  # noqa: F401 - the whole schema, for create_all
from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.extensions import db, limiter
from marketplace.organisations.models import Organisation, Role
from tests import clock, factories
from tests.helpers import SmtpSink, database_url_for_tests, free_port, login_id


def pytest_configure(config: pytest.Config) -> None:
    # A test machine, not production: the servers the tests start (gunicorn, the scheduler,
    # the benches) inherit it; tests of production's refusals say "production" themselves.
    os.environ.setdefault("MARKETPLACE_ENV", "development")
    clock.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    clock.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"horloge des tests : {clock.test_now().isoformat()} (MARKETPLACE_TEST_NOW)"


@pytest.fixture(autouse=True)
def _pinned_clock() -> None:
    """Each test starts at the same instant (see tests/clock.py)."""
    clock.rewind()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe stopped at start (code {process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"localstripe did not listen on port {port} in {timeout} s")


LOCALSTRIPE_PORT = free_port()
LOCALSTRIPE_URL = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
STRIPE_TEST_SETTINGS = {
    "STRIPE_SECRET_KEY": "sk_test_12345",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_12345",
    "STRIPE_WEBHOOK_SECRET": "whsec_tests",
    "STRIPE_API_BASE": LOCALSTRIPE_URL,
    "STRIPE_JS_URL": f"{LOCALSTRIPE_URL}/js.stripe.com/v3/",
}


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[str]:
    """A real localstripe server (started the first time a test asks for it); its URL."""
    process = subprocess.Popen(  # noqa: S603 - our own venv's script, fixed arguments
        [
            str(Path(sys.executable).with_name("localstripe")),
            "--port",
            str(LOCALSTRIPE_PORT),
            "--from-scratch",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(LOCALSTRIPE_PORT, process)
        yield LOCALSTRIPE_URL
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def base_config(tmp_path_factory, smtp_server: SmtpSink) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("instance")
    return {
        **STRIPE_TEST_SETTINGS,
        "TESTING": True,
        "SECRET_KEY": "tests-only-secret",
        "SQLALCHEMY_DATABASE_URI": database_url_for_tests(tmp),
        "WTF_CSRF_ENABLED": False,
        # Pages are compared with plain spaces; tests/test_typography.py turns it on.
        "FRENCH_TYPOGRAPHY": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": smtp_server.port,
        "MAIL_FOLDER": str(tmp / "mail"),
        "SERVER_NAME": None,
        "PUBLIC_BASE_URL": "http://localhost",
    }


@pytest.fixture(scope="session")
def make_app(base_config: dict[str, Any]) -> Callable[..., Flask]:
    """Build another app on the same test database, with some settings changed."""

    def build(**overrides: Any) -> Flask:
        return create_app({**base_config, **overrides})

    return build


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    request_started.connect(_start_like_a_fresh_request, application)
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application


def _start_like_a_fresh_request(sender: Flask, **extra: Any) -> None:
    """Tests keep one app context across requests; start each request as production would:
    no language or person cached in `g`, nothing cached in the database session."""
    flask_babel.refresh()
    g.pop("_login_user", None)
    db.session.expire_all()


@pytest.fixture(autouse=True)
def _clean_database(app: Flask, smtp_server: SmtpSink) -> Iterator[None]:
    """Each test starts with empty tables, an empty outbox and fresh rate-limit counters."""
    smtp_server.messages.clear()
    with app.app_context():
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield
        db.session.rollback()
        db.session.remove()
        truncate_all_tables()
    # The limiter is one object shared by every app: hand it back to this app's settings
    # in case a test built another app with the limits on.
    limiter.init_app(app)


def truncate_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def outbox(smtp_server: SmtpSink) -> list:
    """Messages received by the local SMTP server during this test (email.message objects)."""
    return smtp_server.messages


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], User]:
    """Log the test client in as `user` (no password round-trip)."""

    def log_in(user: User) -> User:
        cookie_id = login_id(user)
        with client.session_transaction() as session:
            session["_user_id"] = cookie_id
            session["_fresh"] = True
        return user

    return log_in


@pytest.fixture
def user_with_role(login) -> Callable[..., User]:
    """Create a person holding `role` in `organisation`, logged in unless told otherwise."""

    def make(role: Role | str, organisation: Organisation, *, log_in: bool = True) -> User:
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, organisation=organisation, role=str(role))
        db.session.commit()
        return login(user) if log_in else user

    return make


@pytest.fixture
def admin(login) -> User:
    user = factories.UserFactory(is_admin=True)
    db.session.commit()
    return login(user)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for the tests that need one: REDIS_URL when set (CI may share one), else a
    throwaway server from scripts/redis-server; skipped, with a message, without redis-server."""
    import os
    import shutil

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server absent : apt-get install redis-server (Debian)")
    script = Path(__file__).resolve().parent.parent / "scripts" / "redis-server"
    env = {**os.environ, "REDIS_SERVER_PORT": str(free_port())}
    started = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [str(script), "start"], env=env, capture_output=True, text=True, check=True
    )
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    try:
        yield exports["REDIS_URL"]
    finally:
        subprocess.run(  # noqa: S603
            [str(script), "stop", exports["REDIS_SERVER_PORT"]], capture_output=True, check=False
        )
