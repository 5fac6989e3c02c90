import pytest
from flask_babel import get_locale

from marketplace.accounts.passwords import password_matches
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, link_in, page_text
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import message_text

SAME_ANSWER = "Si un compte existe pour cette adresse, un e-mail vient d'être envoyé."
LINK_DEAD = "Ce lien pour changer de mot de passe a expiré, a déjà servi ou est incomplet."


@pytest.fixture
def household():
    user = factories.UserFactory(name="Foyer Bernard", email="bernard@example.org")
    db.session.commit()
    return user


def ask_for_link(client, email):
    return client.post("/compte/mot-de-passe/oublie", data={"email": email}, follow_redirects=True)


def choose(client, path, password=GOOD_PASSWORD, confirm=None):
    return client.post(
        path,
        data={"password": password, "password_confirm": confirm or password},
        follow_redirects=True,
    )


def test_full_reset_through_the_mail_server(client, household, outbox):
    response = ask_for_link(client, "Bernard@example.org")
    assert SAME_ANSWER in page_text(response)
    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "bernard@example.org"
    assert message["Subject"] == "Choisir un nouveau mot de passe"
    body = message_text(message)
    assert "Bonjour Foyer Bernard," in body
    assert "http://localhost/compte/mot-de-passe/nouveau/" in body
    path = link_in(body)

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = choose(client, path)
    assert response.request.path == "/compte/connexion"
    assert "Votre mot de passe est changé." in page_text(response)

    logged_in = client.post(
        "/compte/connexion", data={"email": "bernard@example.org", "password": GOOD_PASSWORD}
    )
    assert logged_in.headers["Location"] == "/tableau-de-bord"

    # The link served once: it is dead now, and changes nothing.
    client.post("/compte/deconnexion")
    again = client.get(path)
    assert again.status_code == 400
    assert LINK_DEAD in page_text(again)
    assert 'href="/compte/mot-de-passe/oublie"' in again.text
    choose(client, path, "Un-autre-mot-de-passe-99")
    db.session.refresh(household)
    assert password_matches(household.password_hash, GOOD_PASSWORD)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, household, outbox):
    response = ask_for_link(client, "personne@example.org")
    assert SAME_ANSWER in page_text(response)
    assert outbox == []


def test_inactive_account_gets_no_mail(client, outbox):
    factories.UserFactory(email="parti@example.org", is_active_account=False)
    db.session.commit()
    assert SAME_ANSWER in page_text(ask_for_link(client, "parti@example.org"))
    assert outbox == []


def test_malformed_email_is_explained(client, outbox):
    response = ask_for_link(client, "pas-une-adresse")
    assert "Cette adresse e-mail n'est pas valide" in page_text(response)
    assert outbox == []


def test_weak_or_mismatched_new_password_changes_nothing(client, household, outbox):
    ask_for_link(client, "bernard@example.org")
    path = link_in(message_text(outbox[0]))

    weak = choose(client, path, "court")
    assert "Le mot de passe doit contenir au moins 10 caractères." in page_text(weak)
    personal = choose(client, path, "bernard-2024-bernard")
    assert "ne doit pas reprendre votre nom ni votre adresse e-mail" in page_text(personal)
    mismatch = choose(client, path, GOOD_PASSWORD, GOOD_PASSWORD + "x")
    assert "Les deux mots de passe ne sont pas identiques." in page_text(mismatch)

    db.session.refresh(household)
    assert password_matches(household.password_hash, DEFAULT_PASSWORD)
    assert client.get(path).status_code == 200  # the link still works


def test_expired_link_is_refused(other_app, household, outbox):
    expiring = other_app(PASSWORD_RESET_MAX_AGE=-1)
    client = expiring.test_client()
    ask_for_link(client, "bernard@example.org")
    path = link_in(message_text(outbox[0]))

    response = client.get(path)
    assert response.status_code == 400
    assert LINK_DEAD in page_text(response)
    choose(client, path)
    assert password_matches(
        db.session.get(type(household), household.id).password_hash, DEFAULT_PASSWORD
    )


def test_forged_link_is_refused(client, household):
    response = client.get("/compte/mot-de-passe/nouveau/not-a-real-token")
    assert response.status_code == 400
    assert "Demander un nouveau lien" in page_text(response)


def test_link_signed_with_another_secret_is_refused(client, other_app, household, outbox):
    stranger = other_app(SECRET_KEY="another-secret").test_client()
    ask_for_link(stranger, "bernard@example.org")
    path = link_in(message_text(outbox[0]))

    response = client.get(path)  # the main test app, whose secret differs
    assert response.status_code == 400
    assert LINK_DEAD in page_text(response)


def test_mail_is_written_in_the_account_language(client, outbox, monkeypatch):
    from marketplace.accounts import services

    languages = []
    real_send_email = services.send_email

    def spy(*args, **kwargs):
        languages.append(str(get_locale()))
        return real_send_email(*args, **kwargs)

    monkeypatch.setattr(services, "send_email", spy)
    factories.UserFactory(email="smith@example.org", language="en")
    db.session.commit()

    response = ask_for_link(client, "smith@example.org")

    assert languages == ["en"]
    assert len(outbox) == 1
    assert 'lang="fr"' in response.text  # the visitor's page stays in the visitor's language


def test_mail_server_failure_gives_the_same_answer(other_app, household, outbox):
    from tests.helpers import free_port

    broken = other_app(MAIL_PORT=free_port()).test_client()
    response = ask_for_link(broken, "bernard@example.org")
    assert response.status_code == 200
    assert SAME_ANSWER in page_text(response)
    assert outbox == []
