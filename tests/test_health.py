"""`GET /healthz`: what monitoring reads, with or without a database, never rate limited."""

import pytest

from marketplace.extensions import limiter


def test_health_answers_ok_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


@pytest.mark.parametrize(
    "unreachable_database",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "sqlite:////nonexistent-directory/nowhere/marketplace.sqlite3",
    ],
)
def test_health_reports_an_unreachable_database_with_503(make_app, unreachable_database):
    broken_app = make_app(SQLALCHEMY_DATABASE_URI=unreachable_database)

    response = broken_app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.is_json
    assert response.json["status"] == "error"
    assert response.json["database"] == "unavailable"


@pytest.fixture
def rate_limited_app(make_app, monkeypatch):
    """An app limiting every route to 3 requests a minute.

    The limiter is one object shared by every app of the test session and `init_app`
    changes it for all of them, so its state is restored after the test.
    """
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    for attribute in ("_storage", "_limiter"):
        if hasattr(limiter, attribute):
            monkeypatch.setattr(limiter, attribute, getattr(limiter, attribute))
    monkeypatch.setattr(
        limiter.limit_manager, "_application_limits", limiter.limit_manager._application_limits
    )
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_APPLICATION="3 per minute",
        RATELIMIT_STORAGE_URI="memory://",
    )


def test_health_is_exempt_from_rate_limits(rate_limited_app):
    client = rate_limited_app.test_client()

    health = [client.get("/healthz").status_code for _ in range(6)]
    home = [client.get("/").status_code for _ in range(4)]

    assert health == [200] * 6
    assert home[-1] == 429  # the limit is live for other pages


def test_readiness_checks_the_database_and_says_redis_is_not_configured(make_app):
    # Without Redis even when the tests run beside one (scripts/with-redis sets REDIS_URL).
    response = make_app(REDIS_URL="").test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "engine": response.json["engine"],
        "redis": "not configured",
    }


def test_readiness_pings_redis_when_configured(make_app, redis_url):
    response = make_app(REDIS_URL=redis_url).test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json["redis"] == "ok"


def test_a_replica_whose_redis_is_gone_is_not_ready(make_app):
    response = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["redis"] == "unavailable"
    assert response.json["database"] == "ok"
