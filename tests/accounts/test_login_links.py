"""Signing in by an e-mailed link: same answer for every address, once, for 15 minutes."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import LoginLink, UserSession
from marketplace.db import utcnow
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import link_in, page_text
from tests.helpers import message_text

SAME_ANSWER = "Si un compte existe pour cette adresse, un lien de connexion vient d'être envoyé."
LINK_DEAD = "Ce lien de connexion a expiré, a déjà servi ou est incomplet."


@pytest.fixture
def household():
    user = factories.UserFactory(name="Foyer Morel", email="morel@example.org")
    db.session.commit()
    return user


def ask(client, email):
    return client.post("/compte/connexion/lien", data={"email": email}, follow_redirects=True)


def sessions_of(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )


def test_the_link_signs_in_once_with_a_real_session(client, household, outbox):
    assert "Recevoir un lien de connexion" in page_text(client.get("/compte/connexion"))
    response = ask(client, " Morel@Example.org")
    assert SAME_ANSWER in page_text(response)
    (message,) = outbox
    assert message["To"] == "morel@example.org"
    assert message["Subject"] == "Votre lien de connexion"
    path = link_in(message_text(message))
    assert path.startswith("/compte/connexion/lien/")

    # Opening the link (as a mail scanner would) spends nothing: it asks to confirm.
    page = client.get(path)
    assert page.status_code == 200 and "Me connecter" in page_text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert sessions_of(household) == 0

    signed_in = client.post(path)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/tableau-de-bord"
    assert sessions_of(household) == 1
    assert client.get("/compte/profil").status_code == 200
    db.session.refresh(household)
    assert household.last_login_at is not None

    # Used once: dead now, on this device or any other.
    client.post("/compte/deconnexion")
    again = client.post(path, follow_redirects=True)
    assert again.status_code == 400 and LINK_DEAD in page_text(again)
    assert client.get(path).status_code == 400
    assert sessions_of(household) == 0


def test_unknown_and_known_addresses_get_the_same_answer(client, household, outbox):
    unknown = ask(client, "personne@example.org")
    known = ask(client, "morel@example.org")
    assert SAME_ANSWER in page_text(unknown) and SAME_ANSWER in page_text(known)
    assert len(outbox) == 1
    assert db.session.scalar(select(func.count()).select_from(LoginLink)) == 1


def test_a_deactivated_account_gets_no_link(client, outbox):
    factories.UserFactory(email="parti@example.org", is_active_account=False)
    db.session.commit()
    assert SAME_ANSWER in page_text(ask(client, "parti@example.org"))
    assert outbox == []


def test_a_bad_address_is_refused_clearly(client, household, outbox):
    response = ask(client, "pas-une-adresse")
    assert "Cette adresse e-mail n'est pas valide" in page_text(response)
    response = ask(client, "a" * 300 + "@example.org")
    assert "254 caractères au maximum." in page_text(response)
    assert outbox == []


def test_the_link_expires_after_fifteen_minutes(client, household, outbox):
    ask(client, "morel@example.org")
    path = link_in(message_text(outbox[0]))
    with time_machine.travel(utcnow() + timedelta(minutes=14), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=15, seconds=1), tick=False):
        response = client.post(path)
        assert response.status_code == 400 and LINK_DEAD in page_text(response)
    assert sessions_of(household) == 0


@pytest.mark.parametrize("token", ["x", "a" * 300, "%00"])
def test_a_forged_token_opens_nothing(client, household, token):
    assert client.get(f"/compte/connexion/lien/{token}").status_code == 400
    assert client.post(f"/compte/connexion/lien/{token}").status_code == 400
    assert sessions_of(household) == 0


def test_asking_for_links_is_rate_limited(other_app, outbox):
    factories.UserFactory(email="cible@example.org")
    db.session.commit()
    client = other_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_LINK_RATE_LIMIT="2 per hour",
    ).test_client()
    for number in range(2):
        response = client.post(
            "/compte/connexion/lien",
            data={"email": "cible@example.org"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{number}"},
        )
        assert response.status_code == 302
    refused = client.post(
        "/compte/connexion/lien",
        data={"email": "CIBLE@example.org"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert refused.status_code == 429
    assert len(outbox) == 2
