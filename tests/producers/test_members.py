"""The farm team manages who belongs to it (the shared people-and-roles screen)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def team(farm) -> list[str]:
    return sorted(
        db.session.scalars(select(Membership.role).where(Membership.organisation_id == farm.id))
    )


def test_staff_add_and_remove_a_teammate(client, user_with_role):
    farm = factories.ProducerFactory()
    user_with_role("producer_staff", farm)
    paul = factories.UserFactory(name="Paul Durand", email="paul@example.org")
    db.session.commit()

    page = page_text(client.get(f"/producteurs/{farm.slug}/gestion/membres"))
    assert '<option value="producer_staff">Équipe du producteur</option>' in page

    response = client.post(
        f"/producteurs/{farm.slug}/gestion/membres/ajouter",
        data={"email": "paul@example.org", "role": "producer_staff"},
        follow_redirects=True,
    )
    assert "Paul Durand a maintenant le rôle « Équipe du producteur »." in page_text(response)
    assert team(farm) == ["producer_staff", "producer_staff"]

    client.post(
        f"/producteurs/{farm.slug}/gestion/membres/retirer",
        data={"user_id": paul.id, "role": "producer_staff"},
    )
    assert team(farm) == ["producer_staff"]


def test_the_farm_keeps_at_least_one_staff_person(client, user_with_role):
    farm = factories.ProducerFactory()
    me = user_with_role("producer_staff", farm)
    response = client.post(
        f"/producteurs/{farm.slug}/gestion/membres/retirer",
        data={"user_id": me.id, "role": "producer_staff"},
        follow_redirects=True,
    )
    assert "La ferme doit garder au moins une personne dans son équipe." in page_text(response)
    assert team(farm) == ["producer_staff"]


def test_a_group_role_posted_by_hand_is_refused(client, user_with_role):
    farm = factories.ProducerFactory()
    user_with_role("producer_staff", farm)
    factories.UserFactory(email="paul@example.org")
    db.session.commit()
    response = client.post(
        f"/producteurs/{farm.slug}/gestion/membres/ajouter",
        data={"email": "paul@example.org", "role": "coordinator"},
    )
    assert "Ce rôle n'existe pas pour ce type d'organisation." in page_text(response)
    assert team(farm) == ["producer_staff"]


def test_staff_of_another_farm_are_refused(client, user_with_role):
    farm = factories.ProducerFactory()
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(f"/producteurs/{farm.slug}/gestion/membres").status_code == 403


def test_the_team_screen_runs_as_many_queries_for_5_as_for_60_people(client, admin):
    small, large = factories.ProducerFactory(), factories.ProducerFactory()
    for _ in range(5):
        factories.MembershipFactory(organisation=small, role="producer_staff")
    for _ in range(60):
        factories.MembershipFactory(organisation=large, role="producer_staff")
    db.session.commit()
    as_new_request()
    with count_queries() as few:
        client.get(f"/producteurs/{small.slug}/gestion/membres")
    as_new_request()
    with count_queries() as many:
        client.get(f"/producteurs/{large.slug}/gestion/membres")
    assert few.count == many.count
