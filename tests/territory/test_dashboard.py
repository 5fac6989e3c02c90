from datetime import UTC, datetime, timedelta

import pytest

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries


def _group_with_a_day(name="AMAP des Canuts"):
    group = factories.GroupFactory(name=name)
    schedule = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=group, name=f"Halle {name}")
    )
    factories.DistributionDayFactory(
        schedule=schedule, occurrence_date=datetime.now(UTC).date() + timedelta(days=5)
    )
    return group


def test_visitor_is_sent_to_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/account/login" in response.location


def test_member_sees_the_next_distributions_of_their_group(client, user_with_role):
    group = _group_with_a_day()
    user_with_role("member", group)

    page = client.get("/dashboard")

    assert page.status_code == 200
    assert "<h1>Tableau de bord</h1>" in page.text
    assert "Mes prochaines distributions — AMAP des Canuts" in page.text
    assert "Halle AMAP des Canuts" in page.text
    assert "Coordination" not in page.text
    assert "/manage/members" not in page.text


def test_coordinator_sees_the_management_screens_of_their_group_only(client, user_with_role):
    group = _group_with_a_day()
    other = _group_with_a_day("AMAP voisine")
    user_with_role("coordinator", group)

    page = client.get("/dashboard")

    assert "Coordination : AMAP des Canuts" in page.text
    assert f"/groups/{group.slug}/manage/members" in page.text
    assert f"/groups/{group.slug}/manage/pickup-points" in page.text
    assert f"/groups/{group.slug}/manage/calendar" in page.text
    assert (
        f'href="/groups/{group.slug}/manage/producers">Producteur·rices partenaires</a>'
        in page.text
    )
    assert other.slug not in page.text


def test_volunteer_sees_where_help_is_welcome(client, user_with_role):
    group = _group_with_a_day()
    user_with_role("volunteer", group)

    page = client.get("/dashboard")

    assert "Bénévolat : AMAP des Canuts" in page.text
    assert "Halle AMAP des Canuts" in page.text


def test_producer_staff_sees_their_farm_and_the_groups_they_supply(client, user_with_role):
    group = _group_with_a_day()
    producer = factories.ProducerFactory(name="Chèvrerie de la Combe")
    factories.ProducerSuppliesGroupFactory(producer=producer, group=group)
    user_with_role("producer_staff", producer)

    page = client.get("/dashboard")

    assert "Chèvrerie de la Combe" in page.text
    assert f"/producers/{producer.slug}/edit" in page.text
    assert "Halle AMAP des Canuts" in page.text


def test_grocery_staff_sees_their_grocery(client, user_with_role):
    grocery = factories.GroceryFactory(name="La Passerelle")
    user_with_role("grocery_staff", grocery)

    page = client.get("/dashboard")

    assert "La Passerelle" in page.text
    assert f"/groceries/{grocery.slug}/edit" in page.text
    # The day of the round: the stop lists, the purchases from the producers.
    assert 'href="/pickup/days"' in page.text
    assert f"/epiceries/{grocery.slug}/achats" in page.text


def test_admin_sees_the_territory_counts(client, admin):
    _group_with_a_day()
    factories.ProducerFactory()
    db.session.commit()

    page = client.get("/dashboard")

    assert "Administration du territoire" in page.text
    assert "1 groupe AMAP" in page.text
    assert "1 distribution à venir" in page.text


def test_someone_without_a_group_is_invited_to_join_one(client, login):
    _group_with_a_day()
    login(factories.UserFactory())
    db.session.commit()

    page = client.get("/dashboard")

    assert "Rejoindre un groupe" in page.text
    assert "AMAP des Canuts" in page.text


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_dashboard_query_count_does_not_grow_with_groups(client, login, role):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=_group_with_a_day("G0"), role=role)
    db.session.commit()
    login(user)
    db.session.expire_all()  # measure the request as it runs in production: nothing cached
    with count_queries() as one_group:
        assert client.get("/dashboard").status_code == 200

    for index in range(1, 6):
        group = _group_with_a_day(f"G{index}")
        factories.MembershipFactory(user=user, organisation=group, role=role)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as six_groups:
        assert client.get("/dashboard").status_code == 200

    assert six_groups.count == one_group.count
