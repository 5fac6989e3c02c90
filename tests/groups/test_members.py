"""The coordinators' screen of people and roles in the group."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def members_url(group) -> str:
    return f"/groupes/{group.slug}/gestion/membres"


def roles_in(group) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Membership.user_id, Membership.role)
        .where(Membership.organisation_id == group.id)
        .order_by(Membership.user_id, Membership.role)
    )
    return [(str(user_id), role) for user_id, role in rows]


@pytest.fixture
def group():
    return factories.GroupFactory(name="AMAP des Tilleuls")


@pytest.fixture
def coordinator(group, user_with_role):
    return user_with_role("coordinator", group)


def test_coordinators_see_one_row_per_person_with_role_badges(client, group, coordinator):
    lea = factories.UserFactory(name="Léa Martin", email="lea@example.org")
    factories.MembershipFactory(user=lea, organisation=group, role="member")
    factories.MembershipFactory(user=lea, organisation=group, role="volunteer")
    outsider = factories.UserFactory(name="Zoé Ailleurs")
    factories.MembershipFactory(user=outsider, organisation=factories.GroupFactory())
    db.session.commit()

    response = client.get(members_url(group))

    assert response.status_code == 200
    text = page_text(response)
    assert len(re.findall(r"<td>Léa Martin<br>", text)) == 1
    assert text.count("lea@example.org") == 1
    row = re.search(r"<tr>\s*<td>Léa Martin.*?</tr>", text, re.DOTALL).group(0)
    assert "Adhérent·e" in row and "Bénévole" in row
    assert coordinator.name in text
    assert "Zoé Ailleurs" not in text


def test_search_by_name_or_email(client, group, coordinator):
    factories.MembershipFactory(
        user=factories.UserFactory(name="Léa Martin", email="lea@example.org"), organisation=group
    )
    factories.MembershipFactory(
        user=factories.UserFactory(name="Paul Durand", email="paul@ferme.fr"), organisation=group
    )
    db.session.commit()

    text = page_text(client.get(members_url(group), query_string={"q": "martin"}))
    assert "Léa Martin" in text and "Paul Durand" not in text
    assert "1 personne trouvée pour « martin »." in text

    text = page_text(client.get(members_url(group), query_string={"q": "FERME.FR"}))
    assert "Paul Durand" in text and "Léa Martin" not in text

    text = page_text(client.get(members_url(group), query_string={"q": "personne"}))
    assert "Personne ne correspond à cette recherche." in text


def test_the_members_screen_runs_as_many_queries_for_5_as_for_60_members(
    client, group, coordinator
):
    other = factories.GroupFactory()
    for _ in range(4):
        factories.MembershipFactory(organisation=group, role="member")
    for _ in range(60):
        membership = factories.MembershipFactory(organisation=other, role="member")
        factories.MembershipFactory(user=membership.user, organisation=other, role="volunteer")
    factories.MembershipFactory(user=coordinator, organisation=other, role="coordinator")
    db.session.commit()

    as_new_request()
    with count_queries() as small:
        assert client.get(members_url(group)).status_code == 200
    as_new_request()
    with count_queries() as large:
        assert client.get(members_url(other)).status_code == 200
    assert small.count == large.count


def test_add_a_role_by_email(client, group, coordinator):
    lea = factories.UserFactory(name="Léa Martin", email="lea@example.org")
    db.session.commit()

    response = client.post(
        f"{members_url(group)}/ajouter",
        data={"email": "Lea@Example.org", "role": "volunteer"},
        follow_redirects=True,
    )

    assert "Léa Martin a maintenant le rôle « Bénévole »." in page_text(response)
    assert (str(lea.id), "volunteer") in roles_in(group)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"email": "inconnu@example.org", "role": "member"},
            "Aucun compte avec cette adresse : la personne doit d'abord créer son compte.",
        ),
        ({"email": "pas-une-adresse", "role": "member"}, "Cette adresse e-mail n'est pas valide."),
        ({"email": "", "role": "member"}, "Indiquez l'adresse e-mail de la personne."),
        (
            {"email": "lea@example.org", "role": "producer_staff"},
            "Ce rôle n'existe pas pour ce type d'organisation.",
        ),
        (
            {"email": "lea@example.org", "role": "admin"},
            "Ce rôle n'existe pas pour ce type d'organisation.",
        ),
        (
            {"email": "lea@example.org", "role": "member"},
            "Léa Martin a déjà le rôle « Adhérent·e » ici.",
        ),
    ],
)
def test_adding_a_role_with_bad_input_explains_and_saves_nothing(
    client, group, coordinator, data, message
):
    lea = factories.UserFactory(name="Léa Martin", email="lea@example.org")
    factories.MembershipFactory(user=lea, organisation=group, role="member")
    db.session.commit()
    before = roles_in(group)

    response = client.post(f"{members_url(group)}/ajouter", data=data)

    assert response.status_code == 200
    assert message in page_text(response)
    assert roles_in(group) == before


def test_remove_a_role(client, group, coordinator):
    lea = factories.UserFactory(name="Léa Martin")
    factories.MembershipFactory(user=lea, organisation=group, role="member")
    factories.MembershipFactory(user=lea, organisation=group, role="volunteer")
    db.session.commit()

    response = client.post(
        f"{members_url(group)}/retirer",
        data={"user_id": lea.id, "role": "volunteer"},
        follow_redirects=True,
    )

    assert "Le rôle « Bénévole » de Léa Martin a été retiré." in page_text(response)
    assert (str(lea.id), "volunteer") not in roles_in(group)
    assert (str(lea.id), "member") in roles_in(group)


def test_the_last_coordinator_role_cannot_be_removed(client, group, coordinator):
    response = client.post(
        f"{members_url(group)}/retirer",
        data={"user_id": coordinator.id, "role": "coordinator"},
        follow_redirects=True,
    )
    assert "Le groupe doit garder au moins un·e coordinateur·rice." in page_text(response)
    assert roles_in(group) == [(str(coordinator.id), "coordinator")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"user_id": "abc", "role": "member"}, "Demande incomplète"),
        ({}, "Demande incomplète"),
        ({"user_id": "999999", "role": "member"}, "Cette personne est introuvable"),
    ],
)
def test_removing_with_a_tampered_form_changes_nothing(client, group, coordinator, data, message):
    response = client.post(f"{members_url(group)}/retirer", data=data, follow_redirects=True)
    assert message in page_text(response)
    assert roles_in(group) == [(str(coordinator.id), "coordinator")]


def test_removing_a_role_of_another_kind_is_refused(client, group, coordinator):
    response = client.post(
        f"{members_url(group)}/retirer",
        data={"user_id": coordinator.id, "role": "producer_staff"},
        follow_redirects=True,
    )
    assert "Ce rôle n'existe pas pour ce type d'organisation." in page_text(response)


def test_a_member_cannot_open_the_members_screen(client, group, user_with_role):
    user_with_role("member", group)
    assert client.get(members_url(group)).status_code == 403
    assert client.post(f"{members_url(group)}/ajouter", data={}).status_code == 403


def test_a_coordinator_of_another_group_is_refused(client, group, coordinator):
    other = factories.GroupFactory()
    lea = factories.UserFactory(email="lea@example.org")
    factories.MembershipFactory(user=lea, organisation=other, role="coordinator")
    db.session.commit()

    assert client.get(members_url(other)).status_code == 403
    response = client.post(
        f"{members_url(other)}/retirer", data={"user_id": lea.id, "role": "coordinator"}
    )
    assert response.status_code == 403
    response = client.post(
        f"{members_url(other)}/ajouter", data={"email": "lea@example.org", "role": "member"}
    )
    assert response.status_code == 403
    assert roles_in(other) == [(str(lea.id), "coordinator")]


def test_visitors_are_sent_to_log_in(client, group):
    db.session.commit()
    response = client.get(members_url(group))
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def test_site_admins_manage_any_group(client, group, admin):
    factories.MembershipFactory(organisation=group, role="coordinator")
    db.session.commit()
    assert client.get(members_url(group)).status_code == 200


def test_an_unknown_group_is_not_found(client, admin):
    assert client.get("/groupes/nulle-part/gestion/membres").status_code == 404


def test_the_members_screen_leads_to_the_producers_of_the_group(client, group, coordinator):
    factories.ProducerSuppliesGroupFactory(
        group=group, producer=factories.ProducerFactory(name="Ferme des Combes")
    )
    db.session.commit()

    text = page_text(client.get(members_url(group)))

    link = re.search(rf'<a href="/groupes/{group.slug}/gestion/producteurs">([^<]*)</a>', text)
    assert link.group(1) == "Producteur·rices qui livrent le groupe"
    # The producers themselves are managed on their own screen.
    assert "Ferme des Combes" not in text
    assert 'name="producer_id"' not in text
