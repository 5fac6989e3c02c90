"""Trust: links only to the site's own address, no development default in production, no name
of another group's household, private pages never cached, bodies of a bounded size."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.cards.models import StripeEvent
from marketplace.config import build_config, production_problems
from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.accounts.support import page_text
from tests.cards.stripe_helpers import event_payload, signature
from tests.helpers import message_text

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 40,
    "STRIPE_SECRET_KEY": "sk_live_abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_from_the_dashboard",
    "PUBLIC_BASE_URL": "https://marche.example.org",
    "RATELIMIT_STORAGE_URI": "redis://localhost:6379/0",
}
DEVELOPMENT_KEYS = (
    *PRODUCTION_ENV,
    "SESSION_COOKIE_SECURE",
    "TRUSTED_HOSTS",
    "MARKETPLACE_ENV",
    "TRUSTED_PROXIES",
)


@pytest.fixture
def environment(monkeypatch):
    """A clean process environment that a test fills in."""
    for key in DEVELOPMENT_KEYS:
        monkeypatch.delenv(key, raising=False)

    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_env


def production_config(tmp_path, **overrides):
    return build_config(tmp_path, {"MARKETPLACE_ENV": "production", **overrides})


# --- links in emails -------------------------------------------------------------------------


def test_the_reset_link_ignores_a_forged_host_header(client, outbox):
    factories.UserFactory(email="cible@example.org")
    db.session.commit()

    client.post(
        "/compte/mot-de-passe/oublie",
        data={"email": "cible@example.org"},
        headers={"Host": "evil.example"},
    )

    body = message_text(outbox[0])
    assert "evil.example" not in body
    assert "http://localhost/compte/mot-de-passe/nouveau/" in body


def test_links_follow_the_public_base_url(make_app):
    other = make_app(PUBLIC_BASE_URL="https://marche.example.org/")
    from marketplace.mail import absolute_url

    with other.test_request_context("/", headers={"Host": "evil.example"}):
        assert absolute_url("accounts.login") == "https://marche.example.org/compte/connexion"
    with other.app_context():
        assert absolute_url("accounts.login") == "https://marche.example.org/compte/connexion"


def test_a_host_that_is_not_the_sites_is_refused(make_app):
    guarded = make_app(TRUSTED_HOSTS=["marche.example.org"]).test_client()
    assert guarded.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert guarded.get("/", headers={"Host": "marche.example.org"}).status_code == 200


# --- production refuses development defaults -------------------------------------------------


def test_a_complete_production_configuration_starts(environment, tmp_path):
    environment(**PRODUCTION_ENV)
    config = production_config(tmp_path)
    assert production_problems(config) == []
    assert config["TRUSTED_HOSTS"] == ["marche.example.org"]
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("missing", "problem"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY"),
        ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"),
        ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
        ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI"),
    ],
)
def test_production_names_each_development_default(environment, tmp_path, missing, problem):
    environment(**{key: value for key, value in PRODUCTION_ENV.items() if key != missing})
    problems = production_problems(production_config(tmp_path))
    assert problem in [line.split(":")[0] for line in problems]
    assert not (tmp_path / "secret_key").exists()  # production never invents a secret


def test_production_refuses_insecure_cookies_and_the_localstripe_secret(environment, tmp_path):
    environment(
        **{**PRODUCTION_ENV, "STRIPE_WEBHOOK_SECRET": "whsec_localstripe"},
        SESSION_COOKIE_SECURE="0",
    )
    problems = {line.split(":")[0] for line in production_problems(production_config(tmp_path))}
    assert problems == {"SESSION_COOKIE_SECURE", "STRIPE_WEBHOOK_SECRET"}


def test_production_is_the_default_and_refuses_to_start(environment, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_a_real_stripe_key_never_falls_back_to_the_public_webhook_secret(environment, tmp_path):
    environment(STRIPE_SECRET_KEY="sk_test_real")
    development = build_config(tmp_path, {"MARKETPLACE_ENV": "development"})
    assert development["STRIPE_WEBHOOK_SECRET"] == ""
    environment(STRIPE_SECRET_KEY="")
    local = build_config(tmp_path, {"MARKETPLACE_ENV": "development"})
    assert local["STRIPE_WEBHOOK_SECRET"] == "whsec_localstripe"


def test_without_a_webhook_secret_no_event_is_accepted(make_app):
    unset = make_app(STRIPE_WEBHOOK_SECRET="").test_client()
    payload = event_payload("payment_intent.succeeded", {"id": "pi_1"}, "evt_forged")
    response = unset.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature(payload, "whsec_localstripe")},
    )
    assert response.status_code == 503
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0


# --- a coordinator names only the people of their group --------------------------------------


def test_a_coordinator_cannot_read_another_groups_account(user_with_role, client):
    own, other = factories.GroupFactory(), factories.GroupFactory()
    stranger = factories.UserFactory(name="Foyer Secret")
    factories.MembershipFactory(user=stranger, organisation=other)
    neighbour = factories.UserFactory(name="Foyer Voisin")
    factories.MembershipFactory(user=neighbour, organisation=own)
    db.session.commit()
    user_with_role(Role.COORDINATOR, own)

    refused = client.get(f"/groupes/{own.slug}/gestion/paiements/saisir?user={stranger.id}")
    assert refused.status_code == 404
    assert "Foyer Secret" not in page_text(refused)
    allowed = client.get(f"/groupes/{own.slug}/gestion/paiements/saisir?user={neighbour.id}")
    assert allowed.status_code == 200 and "Foyer Voisin" in page_text(allowed)


# --- private pages are never cached ----------------------------------------------------------


def test_pages_of_a_logged_in_person_are_not_stored(client, login):
    user = login(factories.UserFactory())
    db.session.commit()
    for path in ("/mes-paniers", "/tableau-de-bord", "/compte/profil"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert user.id


def test_public_pages_for_visitors_may_be_cached(client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


# --- request size ----------------------------------------------------------------------------


def test_a_huge_body_is_refused_before_it_is_read(client, app):
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/compte/connexion", data=body, content_type="text/plain")
    assert response.status_code == 413


def test_the_public_webhook_reads_no_large_body(client):
    payload = b'{"id": "evt_big", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=0"},
    )
    assert response.status_code == 413
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
