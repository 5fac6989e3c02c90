"""Membership operations shared by groups, producers and groceries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Membership
from marketplace.organisations.services import (
    OrganisationProfile,
    add_role,
    memberships_of,
    people_with_roles,
    remove_role,
    update_organisation_profile,
    user_by_email,
)
from tests import factories
from tests.helpers import count_queries


@pytest.fixture(autouse=True)
def _request(app):
    """Services are called by views: their messages are translated for the request's person."""
    with app.test_request_context():
        yield


def membership_count(organisation) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(Membership.organisation_id == organisation.id)
    )


def test_add_role_gives_a_role_of_the_organisation_kind():
    group = factories.GroupFactory()
    user = factories.UserFactory()
    membership = add_role(group, user, "volunteer")
    assert membership.role == "volunteer"
    assert membership.organisation_kind == "group"
    assert membership_count(group) == 1


def test_add_role_refuses_a_duplicate_and_keeps_one_row():
    group = factories.GroupFactory()
    user = factories.UserFactory(name="Léa Martin")
    add_role(group, user, "member")
    with pytest.raises(DomainError) as error:
        add_role(group, user, "member")
    assert "Léa Martin a déjà le rôle « Adhérent·e »" in error.value.message
    assert error.value.field == "role"
    assert membership_count(group) == 1


@pytest.mark.parametrize(
    ("factory", "role"),
    [
        (factories.GroupFactory, "producer_staff"),
        (factories.ProducerFactory, "coordinator"),
        (factories.GroceryFactory, "member"),
        (factories.GroupFactory, "administrateur"),
    ],
)
def test_add_role_refuses_a_role_foreign_to_the_organisation_kind(factory, role):
    organisation = factory()
    user = factories.UserFactory()
    with pytest.raises(DomainError) as error:
        add_role(organisation, user, role)
    assert error.value.message == "Ce rôle n'existe pas pour ce type d'organisation."
    assert membership_count(organisation) == 0


def test_remove_role_takes_only_that_role_away():
    group = factories.GroupFactory()
    user = factories.UserFactory()
    add_role(group, user, "member")
    add_role(group, user, "volunteer")
    remove_role(group, user, "volunteer")
    assert [m.role for m in memberships_of(user)] == ["member"]


def test_a_group_keeps_at_least_one_coordinator():
    group = factories.GroupFactory()
    first, second = factories.UserFactory(), factories.UserFactory()
    add_role(group, first, "coordinator")
    add_role(group, second, "coordinator")
    remove_role(group, second, "coordinator")
    with pytest.raises(DomainError) as error:
        remove_role(group, first, "coordinator")
    assert error.value.message == "Le groupe doit garder au moins un·e coordinateur·rice."
    assert membership_count(group) == 1


def test_a_producer_and_a_grocery_keep_at_least_one_staff_person():
    producer = factories.ProducerFactory()
    grocery = factories.GroceryFactory()
    person = factories.UserFactory()
    add_role(producer, person, "producer_staff")
    add_role(grocery, person, "grocery_staff")
    add_role(grocery, person, "volunteer")
    with pytest.raises(DomainError, match="La ferme doit garder au moins une personne"):
        remove_role(producer, person, "producer_staff")
    with pytest.raises(DomainError, match="L'épicerie doit garder au moins une personne"):
        remove_role(grocery, person, "grocery_staff")
    remove_role(grocery, person, "volunteer")  # volunteers may all go
    assert membership_count(producer) == 1
    assert membership_count(grocery) == 1


def test_removing_a_role_nobody_holds_is_refused():
    group = factories.GroupFactory()
    user = factories.UserFactory(name="Paul")
    with pytest.raises(DomainError, match="Paul n'a pas le rôle « Bénévole » ici."):
        remove_role(group, user, "volunteer")


def test_memberships_of_loads_the_organisations_in_one_query():
    user = factories.UserFactory()
    group = factories.GroupFactory(name="AMAP des Pentes")
    producer = factories.ProducerFactory(name="Ferme des Combes")
    grocery = factories.GroceryFactory(name="Épicerie du Plateau")
    add_role(group, user, "member")
    add_role(group, user, "volunteer")
    add_role(producer, user, "producer_staff")
    add_role(grocery, user, "volunteer")
    factories.MembershipFactory(organisation=group)  # someone else's
    db.session.commit()
    user_id = user.id
    db.session.expunge_all()  # nothing left in the identity map to hide a query
    user = db.session.get(User, user_id)

    with count_queries() as queries:
        memberships = memberships_of(user)
        names = [(m.organisation.name, m.role) for m in memberships]
    assert queries.count == 1
    assert sorted(names) == [
        ("AMAP des Pentes", "member"),
        ("AMAP des Pentes", "volunteer"),
        ("Ferme des Combes", "producer_staff"),
        ("Épicerie du Plateau", "volunteer"),
    ]


def test_user_by_email_ignores_case_and_spaces_and_explains_a_missing_account():
    user = factories.UserFactory(email="lea@example.org")
    assert user_by_email("  Lea@Example.ORG ") == user
    with pytest.raises(DomainError) as error:
        user_by_email("personne@example.org")
    assert error.value.message == (
        "Aucun compte avec cette adresse : la personne doit d'abord créer son compte."
    )
    assert error.value.field == "email"


def test_people_with_roles_groups_roles_per_person_and_searches_literally():
    group = factories.GroupFactory()
    lea = factories.UserFactory(name="Léa Martin", email="lea@example.org")
    bob = factories.UserFactory(name="Bob 100% bio", email="bob@ferme.fr")
    add_role(group, lea, "volunteer")
    add_role(group, lea, "member")
    add_role(group, bob, "coordinator")

    people = people_with_roles(group)
    assert [(p.user.name, p.roles) for p in people] == [
        ("Bob 100% bio", ["coordinator"]),
        ("Léa Martin", ["member", "volunteer"]),
    ]
    assert [p.user.name for p in people_with_roles(group, "LEA@")] == ["Léa Martin"]
    assert [p.user.name for p in people_with_roles(group, "ferme.fr")] == ["Bob 100% bio"]
    assert [p.user.name for p in people_with_roles(group, "100%")] == ["Bob 100% bio"]
    assert people_with_roles(group, "_") == []


def profile(**changes) -> OrganisationProfile:
    values = {"name": "AMAP du Vieux Lyon", "latitude": 45.76, "longitude": 4.83}
    values.update(changes)
    return OrganisationProfile(**values)


def test_update_profile_stores_a_clean_profile():
    group = factories.GroupFactory()
    update_organisation_profile(
        group,
        profile(name="  AMAP du Vieux Lyon ", email=" Contact@AMAP.fr ", phone=" ", city="Lyon"),
    )
    assert group.name == "AMAP du Vieux Lyon"
    assert group.email == "contact@amap.fr"
    assert group.phone is None
    assert group.city == "Lyon"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "   "}, "name", "Indiquez un nom."),
        ({"name": "x" * 121}, "name", "120 caractères au maximum."),
        ({"postcode": "1" * 11}, "postcode", "10 caractères au maximum."),
        ({"latitude": 95.0}, "latitude", "La latitude doit être comprise entre -90 et 90."),
        ({"longitude": -181.0}, "longitude", "La longitude doit être comprise entre -180 et 180."),
        (
            {"longitude": None},
            "latitude",
            "Indiquez la latitude et la longitude, ou aucune des deux.",
        ),
    ],
)
def test_update_profile_refuses_bad_values_and_changes_nothing(changes, field, message):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    with pytest.raises(DomainError) as error:
        update_organisation_profile(group, profile(**changes))
    assert (error.value.field, error.value.message) == (field, message)
    assert group.name == "AMAP des Tilleuls"
