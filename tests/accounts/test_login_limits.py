"""Login limits: per address and per account, behind a trusted proxy, in a shared store."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from marketplace.extensions import db
from tests import factories
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import free_port

WRONG = "Pas-le-bon-mot-de-passe"


def attempt(client, email, password=WRONG, address="192.0.2.1", **headers):
    return client.post(
        "/compte/connexion",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_failed_attempts_on_one_account_are_limited_whatever_the_address(other_app):
    factories.UserFactory(email="cible@example.org")
    factories.UserFactory(email="voisine@example.org")
    db.session.commit()
    client = other_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="3 per minute",
    ).test_client()

    for number in range(3):
        assert (
            attempt(client, "cible@example.org", address=f"198.51.100.{number}").status_code == 200
        )
    assert attempt(client, " CIBLE@example.org", address="203.0.113.9").status_code == 429
    assert attempt(client, "voisine@example.org", address="203.0.113.9").status_code == 200


def test_successful_logins_do_not_count_against_the_account(other_app):
    user = factories.UserFactory(email="foyer@example.org")
    db.session.commit()
    app = other_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="2 per minute",
    )
    for _ in range(4):
        response = attempt(app.test_client(), user.email, DEFAULT_PASSWORD)
        assert response.status_code == 302


def test_behind_a_trusted_proxy_each_visitor_has_their_own_counter(other_app):
    client = other_app(
        RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1
    ).test_client()
    proxy = "10.0.0.2"
    for _ in range(2):
        attempt(client, "a@example.org", address=proxy, **{"X-Forwarded-For": "192.0.2.10"})
    limited = attempt(client, "a@example.org", address=proxy, **{"X-Forwarded-For": "192.0.2.10"})
    other = attempt(client, "b@example.org", address=proxy, **{"X-Forwarded-For": "192.0.2.77"})
    assert limited.status_code == 429
    assert other.status_code == 200


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit(other_app):
    client = other_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute").test_client()
    for number in range(2):
        attempt(client, "a@example.org", **{"X-Forwarded-For": f"192.0.2.{number}"})
    forged = attempt(client, "a@example.org", **{"X-Forwarded-For": "192.0.2.200"})
    assert forged.status_code == 429


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server (Debian's `redis-server`), skipped when it is not installed."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server absent (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, fixed arguments
        [executable, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                subprocess.run(["sleep", "0.05"], check=True)  # noqa: S607
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_counters_live_in_the_shared_store(other_app, redis_url):
    import redis

    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "LOGIN_RATE_LIMIT": "2 per minute",
    }
    first_worker = other_app(**settings).test_client()
    for _ in range(2):
        assert attempt(first_worker, "a@example.org").status_code == 200
    assert redis.Redis.from_url(redis_url).dbsize() > 0
    assert attempt(first_worker, "a@example.org").status_code == 429
