"""Rate limits, CSRF, security headers and how passwords are stored."""

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.passwords import password_matches
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, page_text


def test_login_is_rate_limited(other_app, user_count):
    limited = other_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    attempt = {"email": "quelquun@example.org", "password": "Pas-le-bon-mot-de-passe"}

    for _ in range(3):
        assert client.post("/compte/connexion", data=attempt).status_code == 200
    response = client.post("/compte/connexion", data=attempt)

    assert response.status_code == 429
    assert "Trop de tentatives" in page_text(response)
    assert 'lang="fr"' in response.text
    assert client.get("/compte/connexion").status_code == 200  # only attempts are counted


def test_password_reset_is_rate_limited(other_app, outbox):
    limited = other_app(RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    factories.UserFactory(email="cible@example.org")
    db.session.commit()

    for _ in range(2):
        client.post("/compte/mot-de-passe/oublie", data={"email": "cible@example.org"})
    response = client.post("/compte/mot-de-passe/oublie", data={"email": "cible@example.org"})

    assert response.status_code == 429
    assert "Patientez quelques minutes" in page_text(response)
    assert len(outbox) == 2


def test_main_app_has_no_limits_after_a_limited_app(client):
    """The limiter is shared: the fixture must hand it back switched off."""
    for _ in range(12):
        assert client.post("/compte/connexion", data={"email": "x@example.org"}).status_code == 200


def test_post_without_csrf_token_is_refused(other_app, user_count):
    protected = other_app(WTF_CSRF_ENABLED=True).test_client()
    response = protected.post(
        "/compte/inscription",
        data={
            "name": "Foyer Martin",
            "email": "martin@example.org",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "Le formulaire a expiré ou est incomplet." in page_text(response)
    assert user_count() == 0


def test_forms_carry_a_csrf_token(other_app):
    protected = other_app(WTF_CSRF_ENABLED=True).test_client()
    for path in ("/compte/inscription", "/compte/connexion", "/compte/mot-de-passe/oublie"):
        assert 'name="csrf_token" value="' in protected.get(path).text


def test_security_headers(client):
    response = client.get("/compte/connexion")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/compte/inscription", "/compte/connexion", "/compte/mot-de-passe/oublie"):
        text = client.get(path).text
        assert "<script>" not in text
        assert "style=" not in text


def test_password_is_stored_hashed_with_scrypt(client):
    client.post(
        "/compte/inscription",
        data={
            "name": "Foyer Martin",
            "email": "martin@example.org",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
        },
    )
    stored = db.session.scalar(select(User.password_hash))
    assert GOOD_PASSWORD not in stored
    assert stored.startswith("scrypt:")
    assert password_matches(stored, GOOD_PASSWORD)
    assert not password_matches(stored, GOOD_PASSWORD.upper())
