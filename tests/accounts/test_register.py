from flask_babel import force_locale
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, page_text


def register(client, **changes):
    data = {
        "name": "Foyer Martin",
        "email": "camille.martin@example.org",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
    }
    data.update(changes)
    return client.post("/compte/inscription", data=data, follow_redirects=True)


def test_register_page_offers_the_form(client):
    response = client.get("/compte/inscription")
    assert response.status_code == 200
    assert "Créer mon compte" in page_text(response)
    assert 'autocomplete="new-password"' in page_text(response)


def test_register_creates_the_account_logs_in_and_opens_the_dashboard(client, user_count):
    response = register(client, email="  Camille.Martin@Example.ORG ")

    assert response.status_code == 200
    assert response.request.path == "/tableau-de-bord"
    assert "Bienvenue Foyer Martin, votre compte est créé !" in page_text(response)
    user = db.session.scalar(select(User))
    assert user_count() == 1
    assert user.email == "camille.martin@example.org"
    assert user.name == "Foyer Martin"
    assert user.language == "fr"
    assert client.get("/tableau-de-bord").status_code == 200
    assert "Se déconnecter" in client.get("/").text


def test_new_account_takes_the_visitor_language(client):
    with client.session_transaction() as session:
        session["language"] = "en"
    register(client)
    assert db.session.scalar(select(User.language)) == "en"


def test_duplicate_email_in_another_case_is_refused(client, user_count):
    factories.UserFactory(email="camille.martin@example.org")
    db.session.commit()

    response = register(client, email="CAMILLE.Martin@example.org")

    assert "Un compte existe déjà avec cette adresse e-mail." in page_text(response)
    assert response.request.path == "/compte/inscription"
    assert user_count() == 1


def test_malformed_email_is_refused(client, user_count):
    response = register(client, email="camille.martin@")
    assert "Cette adresse e-mail n'est pas valide" in page_text(response)
    assert user_count() == 0


def test_too_long_email_is_refused(client, user_count):
    response = register(client, email="c" * 250 + "@example.org")
    assert "254 caractères au maximum." in page_text(response)
    assert user_count() == 0


def test_short_password_is_refused(client, user_count):
    response = register(client, password="Radis-42", password_confirm="Radis-42")
    assert "Le mot de passe doit contenir au moins 10 caractères." in page_text(response)
    assert user_count() == 0


def test_common_password_is_refused(client, user_count):
    response = register(client, password="azertyuiop", password_confirm="azertyuiop")
    assert "Ce mot de passe est trop courant ou trop simple" in page_text(response)
    assert user_count() == 0


def test_password_reusing_the_email_is_refused(client, user_count):
    response = register(
        client, password="camille.martin-2024", password_confirm="camille.martin-2024"
    )
    message = "Le mot de passe ne doit pas reprendre votre nom ni votre adresse e-mail."
    assert message in page_text(response)
    assert user_count() == 0


def test_password_mismatch_is_refused(client, user_count):
    response = register(client, password_confirm=GOOD_PASSWORD + "!")
    assert "Les deux mots de passe ne sont pas identiques." in page_text(response)
    assert user_count() == 0


def test_too_long_name_is_refused(client, user_count):
    response = register(client, name="M" * 121)
    assert "120 caractères au maximum." in page_text(response)
    assert user_count() == 0


def test_blank_name_is_refused(client, user_count):
    response = register(client, name="   ")
    assert "Indiquez votre nom ou celui de votre foyer." in page_text(response)
    assert user_count() == 0


def test_logged_in_person_is_sent_to_the_dashboard(client, login):
    user = factories.UserFactory()
    db.session.commit()
    login(user)
    response = client.get("/compte/inscription")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tableau-de-bord")


def test_service_refuses_duplicates_whatever_the_form_says(app):
    from marketplace.accounts.services import register_user
    from marketplace.errors import DomainError

    factories.UserFactory(email="camille.martin@example.org")
    with force_locale("fr"):
        try:
            register_user("Foyer", "Camille.Martin@example.org", GOOD_PASSWORD, "fr")
        except DomainError as error:
            assert error.field == "email"
            assert error.message == "Un compte existe déjà avec cette adresse e-mail."
        else:
            raise AssertionError("a duplicate address was accepted")


def test_a_registration_race_on_the_same_email_is_refused_cleanly(client, user_count, monkeypatch):
    """Two sign-ups with one address at once: the database constraint has the last word."""
    from marketplace.accounts import services

    factories.UserFactory(email="camille.martin@example.org")
    db.session.commit()
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)

    response = register(client)

    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse e-mail." in page_text(response)
    assert user_count() == 1
