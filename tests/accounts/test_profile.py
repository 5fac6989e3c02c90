import pytest

from marketplace.accounts.passwords import password_matches
from marketplace.extensions import db
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, page_text
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def household(login):
    user = factories.UserFactory(name="Foyer Petit", email="petit@example.org", phone=None)
    db.session.commit()
    return login(user)


def save_profile(client, **changes):
    data = {"name": "Foyer Petit", "phone": "", "language": "fr", "save_profile": "1"}
    data.update(changes)
    return client.post("/compte/profil", data=data, follow_redirects=True)


def change_password(client, current=DEFAULT_PASSWORD, new=GOOD_PASSWORD, confirm=None):
    data = {
        "current_password": current,
        "password": new,
        "password_confirm": confirm or new,
        "change_password": "1",
    }
    return client.post("/compte/profil", data=data, follow_redirects=True)


def test_profile_shows_the_email_read_only(client, household):
    response = client.get("/compte/profil")
    text = page_text(response)
    assert response.status_code == 200
    assert "petit@example.org" in text
    assert 'name="email"' not in text
    assert 'value="Foyer Petit"' in text


def test_profile_requires_login(client):
    response = client.get("/compte/profil")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion")


def test_profile_update(client, household):
    response = save_profile(client, name="  Foyer Petit-Durand ", phone="+33 6 12.34-56-78")
    assert "Votre profil est enregistré." in page_text(response)
    db.session.refresh(household)
    assert household.name == "Foyer Petit-Durand"
    assert household.phone == "+33 6 12.34-56-78"
    assert household.email == "petit@example.org"


def test_switching_to_english_takes_effect_at_once(client, household):
    assert 'lang="fr"' in client.get("/compte/profil").text
    response = save_profile(client, language="en")
    assert response.request.path == "/compte/profil"
    assert '<html lang="en">' in response.text
    db.session.refresh(household)
    assert household.language == "en"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "appelle-moi"}, "Numéro de téléphone invalide"),
        ({"phone": "12 3"}, "Numéro de téléphone invalide"),
        ({"phone": "0" * 31}, "Numéro de téléphone invalide"),
        ({"name": ""}, "Indiquez votre nom ou celui de votre foyer."),
        ({"name": "N" * 121}, "120 caractères au maximum."),
        ({"language": "de"}, "Choisissez une langue proposée."),
    ],
)
def test_bad_profile_input_is_explained_and_nothing_saved(client, household, changes, message):
    response = save_profile(client, **changes)
    assert message in page_text(response)
    db.session.refresh(household)
    assert household.name == "Foyer Petit"
    assert household.phone is None
    assert household.language == "fr"


def test_password_change(client, household):
    response = change_password(client)
    assert "Votre mot de passe est changé." in page_text(response)
    db.session.refresh(household)
    assert password_matches(household.password_hash, GOOD_PASSWORD)


def test_password_change_with_wrong_current_password_is_refused(client, household):
    response = change_password(client, current="Pas-le-bon-mot-de-passe")
    assert "Le mot de passe actuel est incorrect." in page_text(response)
    db.session.refresh(household)
    assert password_matches(household.password_hash, DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("court", None, "au moins 10 caractères"),
        ("motdepasse123", None, "trop courant ou trop simple"),
        ("foyer-petit-2024", None, "ne doit pas reprendre votre nom"),
        (GOOD_PASSWORD, GOOD_PASSWORD + "x", "Les deux mots de passe ne sont pas identiques."),
    ],
)
def test_weak_new_password_is_refused(client, household, new, confirm, message):
    response = change_password(client, new=new, confirm=confirm)
    assert message in page_text(response)
    db.session.refresh(household)
    assert password_matches(household.password_hash, DEFAULT_PASSWORD)


def test_the_two_forms_do_not_mix(client, household):
    """An error in the password form leaves the profile form showing the saved values."""
    text = page_text(change_password(client, current="faux"))
    assert 'value="Foyer Petit"' in text
    assert "Indiquez votre nom" not in text
