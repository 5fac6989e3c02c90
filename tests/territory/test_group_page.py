"""The public page of an AMAP group (territory.group): its producers and pickup points."""

from __future__ import annotations

from flask import url_for

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


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

    response = client.get(f"/groupes/{group.slug}")

    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        "AMAP de la Croix-Rousse",
        "Lyon",
        "Paniers le mardi soir.",
        "Ferme des Combes",
        "Fromagerie",
        f'href="/producteurs/{farm.slug}"',
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


def test_the_page_keeps_its_address_and_the_territory_links_to_it(app, client):
    group = factories.GroupFactory(name="AMAP des Pentes")
    farm = factories.ProducerFactory()
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    db.session.commit()

    with app.test_request_context():
        assert url_for("territory.group", slug=group.slug) == f"/groupes/{group.slug}"
    link = f'href="/groupes/{group.slug}"'
    assert link in page_text(client.get("/"))
    assert link in page_text(client.get(f"/producteurs/{farm.slug}"))


def test_an_unknown_group_is_not_found(client):
    assert client.get("/groupes/nulle-part").status_code == 404


def test_a_logged_in_visitor_is_offered_to_join_and_a_member_is_not(client, login):
    group = factories.GroupFactory()
    visitor = factories.UserFactory()
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=group, role="member")
    db.session.commit()

    login(visitor)
    text = page_text(client.get(f"/groupes/{group.slug}"))
    assert "Rejoindre ce groupe" in text
    assert "Quitter ce groupe" not in text

    login(member)
    as_new_request()
    text = page_text(client.get(f"/groupes/{group.slug}"))
    assert "Vous êtes adhérent·e de ce groupe" in text
    assert "Rejoindre ce groupe" not in text
    assert "Quitter ce groupe" in text
    assert "Personnes, rôles et producteur·rices" not in text


def test_coordinators_find_their_screens_from_the_group_page(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role("coordinator", group)
    text = page_text(client.get(f"/groupes/{group.slug}"))
    assert f'href="/groupes/{group.slug}/gestion/membres"' in text
    assert f'href="/groupes/{group.slug}/modifier"' in text
    assert f'href="/groupes/{group.slug}/gestion/lieux"' in text


def test_the_group_page_runs_as_many_queries_for_2_as_for_30_producers_and_points(client, login):
    small = make_group_with(producers=2, pickup_points=2)
    large = make_group_with(producers=30, pickup_points=30)

    def queries_for(group) -> int:
        as_new_request()
        with count_queries() as queries:
            assert client.get(f"/groupes/{group.slug}").status_code == 200
        return queries.count

    assert queries_for(small) == queries_for(large)
    login(factories.UserFactory())
    db.session.commit()
    assert queries_for(small) == queries_for(large)
