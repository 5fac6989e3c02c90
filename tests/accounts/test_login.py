import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.security import safe_next_url
from tests import factories
from tests.accounts.support import page_text
from tests.factories import DEFAULT_PASSWORD

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


@pytest.fixture
def household():
    user = factories.UserFactory(name="Foyer Leroy", email="leroy@example.org")
    db.session.commit()
    return user


def log_in(client, email, password=DEFAULT_PASSWORD, query="", **extra):
    return client.post(
        "/compte/connexion" + query, data={"email": email, "password": password, **extra}
    )


def test_login_page_offers_remember_me_and_forgotten_password(client):
    text = page_text(client.get("/compte/connexion"))
    assert "Se souvenir de moi" in text
    assert "Mot de passe oublié ?" in text
    assert 'href="/compte/mot-de-passe/oublie"' in text


def test_login_opens_the_dashboard_and_records_the_time(client, household):
    response = log_in(client, " LEROY@example.org ")

    assert response.status_code == 302
    assert response.headers["Location"] == "/tableau-de-bord"
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    assert db.session.scalar(select(User.last_login_at)) is not None
    assert client.get("/tableau-de-bord").status_code == 200


def test_remember_me_sets_the_remember_cookie(client, household):
    response = log_in(client, "leroy@example.org", remember="y")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None


def test_wrong_password_gives_the_generic_message(client, household):
    response = log_in(client, "leroy@example.org", "Pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in page_text(response)
    assert client.get("/tableau-de-bord").status_code == 302  # still a visitor


def test_unknown_email_gives_the_same_message(client, household):
    response = log_in(client, "inconnu@example.org")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in page_text(response)


def test_empty_fields_are_explained(client):
    text = page_text(log_in(client, "", ""))
    assert "Indiquez votre adresse e-mail." in text
    assert "Indiquez votre mot de passe." in text


def test_inactive_account_is_refused(client):
    factories.UserFactory(email="parti@example.org", is_active_account=False)
    db.session.commit()
    response = log_in(client, "parti@example.org")
    assert response.status_code == 200
    assert "Ce compte est désactivé." in page_text(response)
    assert client.get("/tableau-de-bord").status_code == 302


def test_a_safe_next_is_followed(client, household):
    response = log_in(client, "leroy@example.org", query="?next=/compte/profil")
    assert response.headers["Location"] == "/compte/profil"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "profil"],
)
def test_an_unsafe_next_is_ignored(client, household, target):
    response = client.post(
        "/compte/connexion",
        query_string={"next": target},
        data={"email": "leroy@example.org", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/tableau-de-bord"


def test_the_login_form_keeps_the_next_page(client):
    text = page_text(client.get("/compte/connexion?next=/compte/profil"))
    assert 'action="/compte/connexion?next=/compte/profil"' in text or (
        'action="/compte/connexion?next=%2Fcompte%2Fprofil"' in text
    )


def test_a_protected_page_sends_visitors_to_login_and_back(client, household):
    response = client.get("/compte/profil")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion?next=")
    response = client.post(
        response.headers["Location"],
        data={"email": "leroy@example.org", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/compte/profil"


def test_safe_next_url_rules():
    assert safe_next_url("/groupes/3?tab=members") == "/groupes/3?tab=members"
    for unsafe in (None, "", "//x.org", "http://x.org", "/\\x.org", "javascript:alert(1)"):
        assert safe_next_url(unsafe) is None


def test_logout_requires_post(client, login, household):
    login(household)
    assert client.get("/compte/deconnexion").status_code == 405
    assert client.get("/tableau-de-bord").status_code == 200  # still logged in

    response = client.post("/compte/deconnexion", follow_redirects=True)
    assert response.request.path == "/"
    assert "Vous êtes déconnecté·e." in page_text(response)
    assert client.get("/tableau-de-bord").status_code == 302


def test_logout_keeps_the_person_language(client, login):
    login(factories.UserFactory(language="en"))
    db.session.commit()
    client.post("/compte/deconnexion")
    with client.session_transaction() as session:
        assert session["language"] == "en"
