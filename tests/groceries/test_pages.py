"""The public page of a solidarity grocery, its profile and its team."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text

VALID = {
    "name": "Épicerie solidaire du Plateau",
    "description": "Le camion passe le mercredi.",
    "address": "3 rue du Marché",
    "postcode": "69700",
    "city": "Givors",
    "latitude": "",
    "longitude": "",
    "email": "bonjour@plateau.org",
    "phone": "04 72 00 00 00",
}


def roles_in(grocery) -> list[str]:
    return sorted(
        db.session.scalars(select(Membership.role).where(Membership.organisation_id == grocery.id))
    )


def test_visitors_see_the_grocery_and_how_to_reach_it(client):
    grocery = factories.GroceryFactory(
        name="Épicerie La Passerelle",
        description="Épicerie ambulante des Monts du Lyonnais.",
        address="3 rue du Marché",
        email="bonjour@passerelle.org",
        phone="04 72 00 00 00",
    )
    db.session.commit()

    response = client.get(f"/epiceries/{grocery.slug}")

    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        "Épicerie La Passerelle",
        "Épicerie ambulante des Monts du Lyonnais.",
        "3 rue du Marché",
        "Givors",
        'href="mailto:bonjour@passerelle.org"',
        'href="tel:0472000000"',
    ):
        assert expected in text


def test_an_unknown_grocery_is_not_found(client):
    assert client.get("/epiceries/nulle-part").status_code == 404


def test_grocery_staff_edit_their_grocery(client, user_with_role):
    grocery = factories.GroceryFactory()
    user_with_role("grocery_staff", grocery)

    response = client.post(f"/epiceries/{grocery.slug}/modifier", data=VALID, follow_redirects=True)

    assert "Les informations ont été enregistrées." in page_text(response)
    db.session.refresh(grocery)
    assert grocery.name == "Épicerie solidaire du Plateau"
    assert (grocery.latitude, grocery.longitude) == (None, None)
    assert grocery.phone == "04 72 00 00 00"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "x" * 200}, "120 caractères au maximum."),
        ({"address": "x" * 201}, "200 caractères au maximum."),
        ({"latitude": "95", "longitude": "4"}, "La latitude doit être comprise entre -90 et 90."),
        ({"latitude": "45,7"}, "Indiquez la latitude et la longitude, ou aucune des deux."),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(client, user_with_role, changes, message):
    grocery = factories.GroceryFactory(name="Épicerie La Passerelle")
    user_with_role("grocery_staff", grocery)

    response = client.post(f"/epiceries/{grocery.slug}/modifier", data={**VALID, **changes})

    assert message in page_text(response)
    db.session.refresh(grocery)
    assert grocery.name == "Épicerie La Passerelle"


def test_volunteers_cannot_edit_the_grocery(client, user_with_role):
    grocery = factories.GroceryFactory()
    user_with_role("volunteer", grocery)
    assert client.get(f"/epiceries/{grocery.slug}/modifier").status_code == 403
    assert client.get(f"/epiceries/{grocery.slug}/gestion/membres").status_code == 403


def test_staff_of_another_grocery_are_refused(client, user_with_role):
    grocery = factories.GroceryFactory()
    user_with_role("grocery_staff", factories.GroceryFactory())
    assert client.get(f"/epiceries/{grocery.slug}/modifier").status_code == 403


def test_staff_add_volunteers_and_keep_one_staff_person(client, user_with_role):
    grocery = factories.GroceryFactory()
    me = user_with_role("grocery_staff", grocery)
    sam = factories.UserFactory(name="Sam Bénévole", email="sam@example.org")
    db.session.commit()

    page = page_text(client.get(f"/epiceries/{grocery.slug}/gestion/membres"))
    assert '<option value="grocery_staff">' in page and '<option value="volunteer">' in page
    assert '<option value="member">' not in page

    response = client.post(
        f"/epiceries/{grocery.slug}/gestion/membres/ajouter",
        data={"email": "sam@example.org", "role": "volunteer"},
        follow_redirects=True,
    )
    assert "Sam Bénévole a maintenant le rôle « Bénévole »." in page_text(response)

    response = client.post(
        f"/epiceries/{grocery.slug}/gestion/membres/ajouter",
        data={"email": "sam@example.org", "role": "member"},
    )
    assert "Ce rôle n'existe pas pour ce type d'organisation." in page_text(response)

    response = client.post(
        f"/epiceries/{grocery.slug}/gestion/membres/retirer",
        data={"user_id": me.id, "role": "grocery_staff"},
        follow_redirects=True,
    )
    assert "L'épicerie doit garder au moins une personne dans son équipe." in page_text(response)
    assert roles_in(grocery) == ["grocery_staff", "volunteer"]
    assert sam.id


def test_the_team_screen_runs_as_many_queries_for_5_as_for_60_people(client, admin):
    small, large = factories.GroceryFactory(), factories.GroceryFactory()
    for _ in range(5):
        factories.MembershipFactory(organisation=small, role="volunteer")
    for _ in range(60):
        factories.MembershipFactory(organisation=large, role="volunteer")
    db.session.commit()
    as_new_request()
    with count_queries() as few:
        client.get(f"/epiceries/{small.slug}/gestion/membres")
    as_new_request()
    with count_queries() as many:
        client.get(f"/epiceries/{large.slug}/gestion/membres")
    assert few.count == many.count
