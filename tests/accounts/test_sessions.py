"""Sessions end for good: a copied cookie dies with logout, a password change or a reset;
a person sees their sessions and ends the ones they do not recognise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import UserSession
from marketplace.accounts.tokens import reset_token_for
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, page_text
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def household():
    user = factories.UserFactory(name="Foyer Leroy", email="leroy@example.org")
    db.session.commit()
    return user


def logged_in(app, household, **extra):
    client = app.test_client()
    response = client.post(
        "/compte/connexion",
        data={"email": household.email, "password": DEFAULT_PASSWORD, **extra},
        headers={"User-Agent": "Firefox de la cuisine"},
    )
    assert response.status_code == 302
    return client


def copy_of(app, client, *names):
    """Another browser holding a copy of `client`'s cookies (stolen, or on a shared PC)."""
    thief = app.test_client()
    for name in names or ("session",):
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def opens_dashboard(client) -> bool:
    return client.get("/tableau-de-bord").status_code == 200


def open_sessions() -> int:
    return db.session.scalar(select(func.count(UserSession.id)))


def test_a_copied_cookie_dies_at_logout(app, household):
    client = logged_in(app, household)
    thief = copy_of(app, client)
    assert opens_dashboard(thief)

    client.post("/compte/deconnexion")

    assert not opens_dashboard(thief)
    assert not opens_dashboard(client)
    assert open_sessions() == 0


def test_changing_the_password_ends_every_other_session(app, household):
    laptop = logged_in(app, household)
    phone = logged_in(app, household)
    stolen = copy_of(app, phone)

    response = laptop.post(
        "/compte/profil",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
            "change_password": "1",
        },
    )

    assert response.status_code == 302
    assert opens_dashboard(laptop)
    assert not opens_dashboard(phone) and not opens_dashboard(stolen)
    assert open_sessions() == 1


def test_resetting_the_password_ends_every_session(app, client, household):
    phone = logged_in(app, household, remember="y")
    remembered = copy_of(app, phone, "remember_token")
    token = reset_token_for(household)

    client.post(
        f"/compte/mot-de-passe/nouveau/{token}",
        data={"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD},
    )

    assert not opens_dashboard(phone) and not opens_dashboard(remembered)
    assert open_sessions() == 0


def test_remember_me_lasts_a_month_and_dies_with_its_session(app, household):
    phone = logged_in(app, household, remember="y")
    cookie = phone.get_cookie("remember_token")
    assert cookie.expires is not None
    assert cookie.expires - cookie.expires.now(cookie.expires.tzinfo) < timedelta(days=31)
    alone = copy_of(app, phone, "remember_token")  # the browser restarted: no session cookie
    assert opens_dashboard(alone)

    phone.post("/compte/deconnexion")

    assert not opens_dashboard(alone)


def test_a_cookie_from_before_sessions_opens_nothing(client, household):
    with client.session_transaction() as session:
        session["_user_id"] = str(household.id)
    assert not opens_dashboard(client)


def test_a_person_sees_and_ends_their_sessions(app, household):
    laptop = logged_in(app, household)
    phone = logged_in(app, household)
    other = factories.UserFactory()
    db.session.commit()
    logged_in(app, other)

    page = page_text(laptop.get("/compte/sessions"))
    assert "Mes sessions" in page and "Firefox de la cuisine" in page
    assert "(cet appareil)" in page
    mine = db.session.scalars(
        select(UserSession.id).where(UserSession.user_id == household.id)
    ).all()
    theirs = db.session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))

    laptop.post(f"/compte/sessions/{theirs}/fermer")  # not theirs to end
    assert open_sessions() == 3
    phone_session = max(mine)
    laptop.post(f"/compte/sessions/{phone_session}/fermer")
    assert not opens_dashboard(phone) and opens_dashboard(laptop)

    phone = logged_in(app, household)
    laptop.post("/compte/sessions/fermer-les-autres")
    assert not opens_dashboard(phone) and opens_dashboard(laptop)
    assert open_sessions() == 2  # the laptop's, and the other person's


def test_the_sessions_page_speaks_english(app, household):
    household.language = "en"
    db.session.commit()
    page = page_text(logged_in(app, household).get("/compte/sessions"))
    assert "My sessions" in page and "(this device)" in page
