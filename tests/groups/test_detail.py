"""The public page of an AMAP group, joining and leaving it."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def roles_of(user, group) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.organisation_id == group.id
            )
        )
    )


def make_group_with(producers: int, pickup_points: int):
    group = factories.GroupFactory()
    for _ in range(producers):
        factories.ProducerSuppliesGroupFactory(group=group)
    for _ in range(pickup_points):
        factories.PickupPointFactory(group=group)
    db.session.commit()
    return group


def test_visitors_see_the_group_its_producers_and_its_pickup_points(client):
    group = factories.GroupFactory(
        name="AMAP de la Croix-Rousse", city="Lyon", description="Paniers le mardi soir."
    )
    farm = factories.ProducerFactory(name="Ferme des Combes", trade="fromager")
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    factories.ProducerFactory(name="Ferme Lointaine")  # supplies nobody here
    factories.PickupPointFactory(
        group=group,
        name="Préau de l'école",
        address="12 rue des Écoles",
        access_notes="Entrée par le portail vert.",
    )
    factories.PickupPointFactory(group=group, name="Ancien lieu", active=False)
    coordinator = factories.UserFactory(name="Camille Secrète", email="camille@example.org")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()

    response = client.get(f"/groups/{group.slug}")

    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        "AMAP de la Croix-Rousse",
        "Lyon",
        "Paniers le mardi soir.",
        "Ferme des Combes",
        "Fromagerie",
        f'href="/producers/{farm.slug}"',
        "Préau de l'école",
        "12 rue des Écoles",
        "Entrée par le portail vert.",
        "Se connecter pour rejoindre ce groupe",
    ):
        assert expected in text
    assert "Ferme Lointaine" not in text
    assert "Ancien lieu" not in text
    # Who belongs to the group is private.
    assert "Camille Secrète" not in text
    assert "camille@example.org" not in text
    assert "Coordinateur" not in text
    assert "Rejoindre ce groupe</button>" not in text


def test_an_unknown_group_is_not_found(client):
    assert client.get("/groups/nulle-part").status_code == 404


def test_a_logged_in_visitor_is_offered_to_join_and_a_member_is_not(client, login):
    group = factories.GroupFactory()
    visitor = factories.UserFactory()
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=group, role="member")
    db.session.commit()

    login(visitor)
    text = page_text(client.get(f"/groups/{group.slug}"))
    assert "Rejoindre ce groupe" in text
    assert "Quitter ce groupe" not in text

    login(member)
    as_new_request()
    text = page_text(client.get(f"/groups/{group.slug}"))
    assert "Vous êtes adhérent·e de ce groupe" in text
    assert "Rejoindre ce groupe" not in text
    assert "Quitter ce groupe" in text
    assert "Personnes, rôles et producteur·rices" not in text


def test_coordinators_find_their_screens_from_the_group_page(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role("coordinator", group)
    text = page_text(client.get(f"/groups/{group.slug}"))
    assert f'href="/groups/{group.slug}/manage/members"' in text
    assert f'href="/groups/{group.slug}/edit"' in text


def test_the_group_page_runs_as_many_queries_for_2_as_for_30_producers_and_points(client, login):
    small = make_group_with(producers=2, pickup_points=2)
    large = make_group_with(producers=30, pickup_points=30)

    def queries_for(group) -> int:
        as_new_request()
        with count_queries() as queries:
            assert client.get(f"/groups/{group.slug}").status_code == 200
        return queries.count

    assert queries_for(small) == queries_for(large)
    login(factories.UserFactory())
    db.session.commit()
    assert queries_for(small) == queries_for(large)


def test_joining_makes_a_member_once(client, login):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user = login(factories.UserFactory())
    db.session.commit()

    response = client.post(f"/groups/{group.slug}/join", follow_redirects=True)
    assert "Bienvenue dans le groupe AMAP des Tilleuls !" in page_text(response)
    assert roles_of(user, group) == ["member"]

    response = client.post(f"/groups/{group.slug}/join", follow_redirects=True)
    assert "Vous êtes déjà adhérent·e de ce groupe." in page_text(response)
    assert roles_of(user, group) == ["member"]


def test_visitors_are_sent_to_log_in_before_joining(client):
    group = factories.GroupFactory()
    db.session.commit()
    response = client.post(f"/groups/{group.slug}/join")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert db.session.scalars(select(Membership)).all() == []


def test_joining_an_unknown_group_is_not_found(client, login):
    login(factories.UserFactory())
    db.session.commit()
    assert client.post("/groups/nulle-part/join").status_code == 404


def test_a_member_leaves_with_all_their_roles(client, user_with_role):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user = user_with_role("member", group)
    factories.MembershipFactory(user=user, organisation=group, role="volunteer")
    db.session.commit()

    response = client.post(f"/groups/{group.slug}/leave", follow_redirects=True)

    assert "Vous avez quitté le groupe AMAP des Tilleuls." in page_text(response)
    assert roles_of(user, group) == []


def test_the_last_coordinator_cannot_leave(client, user_with_role):
    group = factories.GroupFactory()
    user = user_with_role("coordinator", group)
    factories.MembershipFactory(user=user, organisation=group, role="member")
    db.session.commit()

    response = client.post(f"/groups/{group.slug}/leave", follow_redirects=True)

    assert "Vous êtes la seule personne qui coordonne ce groupe" in page_text(response)
    assert roles_of(user, group) == ["coordinator", "member"]


def test_a_coordinator_may_leave_when_another_one_remains(client, user_with_role):
    group = factories.GroupFactory()
    user = user_with_role("coordinator", group)
    factories.MembershipFactory(organisation=group, role="coordinator")
    db.session.commit()

    client.post(f"/groups/{group.slug}/leave")

    assert roles_of(user, group) == []


def test_leaving_a_group_one_is_not_in_says_so(client, login):
    group = factories.GroupFactory()
    login(factories.UserFactory())
    db.session.commit()
    response = client.post(f"/groups/{group.slug}/leave", follow_redirects=True)
    assert "Vous n'êtes pas membre de ce groupe." in page_text(response)
