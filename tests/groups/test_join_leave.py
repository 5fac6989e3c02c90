"""Joining and leaving an AMAP group (from its public page, territory.group)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from tests import factories
from tests.organisations.pages import page_text


def roles_of(user, group) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.organisation_id == group.id
            )
        )
    )


def test_joining_makes_a_member_once(client, login):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user = login(factories.UserFactory())
    db.session.commit()

    response = client.post(f"/groupes/{group.slug}/rejoindre", follow_redirects=True)
    # Back on the group's public page, which now says so.
    assert response.request.path == f"/groupes/{group.slug}"
    assert "Bienvenue dans le groupe AMAP des Tilleuls !" in page_text(response)
    assert "Vous êtes adhérent·e de ce groupe" in page_text(response)
    assert roles_of(user, group) == ["member"]

    response = client.post(f"/groupes/{group.slug}/rejoindre", follow_redirects=True)
    assert "Vous êtes déjà adhérent·e de ce groupe." in page_text(response)
    assert roles_of(user, group) == ["member"]


def test_visitors_are_sent_to_log_in_before_joining(client):
    group = factories.GroupFactory()
    db.session.commit()
    response = client.post(f"/groupes/{group.slug}/rejoindre")
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]
    assert db.session.scalars(select(Membership)).all() == []


def test_joining_an_unknown_group_is_not_found(client, login):
    login(factories.UserFactory())
    db.session.commit()
    assert client.post("/groupes/nulle-part/rejoindre").status_code == 404


def test_a_member_leaves_with_all_their_roles(client, user_with_role):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user = user_with_role("member", group)
    factories.MembershipFactory(user=user, organisation=group, role="volunteer")
    db.session.commit()

    response = client.post(f"/groupes/{group.slug}/quitter", follow_redirects=True)

    assert response.request.path == f"/groupes/{group.slug}"
    assert "Vous avez quitté le groupe AMAP des Tilleuls." in page_text(response)
    assert "Rejoindre ce groupe" in page_text(response)
    assert roles_of(user, group) == []


def test_the_last_coordinator_cannot_leave(client, user_with_role):
    group = factories.GroupFactory()
    user = user_with_role("coordinator", group)
    factories.MembershipFactory(user=user, organisation=group, role="member")
    db.session.commit()

    response = client.post(f"/groupes/{group.slug}/quitter", follow_redirects=True)

    assert "Vous êtes la seule personne qui coordonne ce groupe" in page_text(response)
    assert roles_of(user, group) == ["coordinator", "member"]


def test_a_coordinator_may_leave_when_another_one_remains(client, user_with_role):
    group = factories.GroupFactory()
    user = user_with_role("coordinator", group)
    factories.MembershipFactory(organisation=group, role="coordinator")
    db.session.commit()

    client.post(f"/groupes/{group.slug}/quitter")

    assert roles_of(user, group) == []


def test_leaving_a_group_one_is_not_in_says_so(client, login):
    group = factories.GroupFactory()
    login(factories.UserFactory())
    db.session.commit()
    response = client.post(f"/groupes/{group.slug}/quitter", follow_redirects=True)
    assert "Vous n'êtes pas membre de ce groupe." in page_text(response)
