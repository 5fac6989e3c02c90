"""Coordinators define the volunteer roles of their group."""

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.shifts.models import VolunteerRole
from tests import factories

ROLE = {
    "name": "Ouverture",
    "description": "Ouvrir le préau et installer les tables.",
    "needed_per_day": "2",
    "cancel_cutoff_hours": "24",
    "position": "1",
    "active": "y",
}


def test_coordinator_adds_and_edits_a_role(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(
        f"/groupes/{group.id}/permanences/roles", data=ROLE, follow_redirects=True
    )
    assert "Rôle ajouté." in response.text
    role = db.session.scalar(select(VolunteerRole))
    assert (role.name, role.needed_per_day, role.cancel_cutoff_hours, role.active) == (
        "Ouverture",
        2,
        24,
        True,
    )

    edited = {**ROLE, "needed_per_day": "3"}
    del edited["active"]
    response = client.post(
        f"/groupes/{group.id}/permanences/roles/{role.id}", data=edited, follow_redirects=True
    )
    assert "Rôle enregistré." in response.text
    db.session.refresh(role)
    assert role.needed_per_day == 3 and not role.active


def test_bad_numbers_and_duplicate_names_are_refused(client, user_with_role):
    group = factories.GroupFactory()
    factories.VolunteerRoleFactory(group=group, name="Ouverture")
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(
        f"/groupes/{group.id}/permanences/roles", data={**ROLE, "needed_per_day": "0"}
    )
    assert "Indiquez un nombre entre 1 et 50." in response.text
    response = client.post(
        f"/groupes/{group.id}/permanences/roles", data={**ROLE, "cancel_cutoff_hours": "deux"}
    )
    assert response.status_code == 200
    assert "has-error" in response.text
    response = client.post(
        f"/groupes/{group.id}/permanences/roles", data={**ROLE, "name": "ouverture"}
    )
    assert "Le groupe a déjà un rôle de ce nom." in response.text
    response = client.post(f"/groupes/{group.id}/permanences/roles", data={**ROLE, "name": ""})
    assert "Ce champ est obligatoire." in response.text
    assert len(db.session.scalars(select(VolunteerRole)).all()) == 1


def test_member_cannot_manage_roles(client, user_with_role):
    group = factories.GroupFactory()
    role = factories.VolunteerRoleFactory(group=group)
    db.session.commit()
    user_with_role(Role.MEMBER, group)
    assert client.get(f"/groupes/{group.id}/permanences/roles").status_code == 403
    assert client.post(f"/groupes/{group.id}/permanences/roles", data=ROLE).status_code == 403
    assert (
        client.post(f"/groupes/{group.id}/permanences/roles/{role.id}", data=ROLE).status_code
        == 403
    )


def test_role_of_another_group_is_not_found(client, user_with_role):
    group = factories.GroupFactory()
    foreign = factories.VolunteerRoleFactory()
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)
    assert client.get(f"/groupes/{group.id}/permanences/roles/{foreign.id}").status_code == 404


def test_unknown_group_is_not_found(client, admin):
    producer = factories.ProducerFactory()
    db.session.commit()
    assert client.get(f"/groupes/{producer.id}/permanences/roles").status_code == 404
    assert client.get("/groupes/99999/permanences").status_code == 404
