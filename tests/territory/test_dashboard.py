import re
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries
from tests.pickup import scenario
from tests.shifts import support as shift_support


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
    response = client.get("/tableau-de-bord")
    assert response.status_code == 302
    assert "/compte/connexion" in response.location


def test_member_without_anything_to_collect_is_told_so(client, user_with_role):
    group = _group_with_a_day()
    user_with_role("member", group)

    page = client.get("/tableau-de-bord")

    assert page.status_code == 200
    assert "<h1>Tableau de bord</h1>" in page.text
    assert "Ma prochaine distribution" in page.text
    assert "Rien à retirer pour l'instant" in page.text
    assert "Halle AMAP des Canuts" not in page.text  # a day with nothing for this household
    assert "Vous êtes à jour." in page.text
    assert "Coordination" not in page.text
    assert "/gestion/membres" not in page.text
    assert "Liste du jour" not in page.text


def test_the_household_sees_its_next_pickup_what_it_owes_and_its_next_shift(client, login):
    setup = scenario.make_day(occurrence_date=paris_today() + timedelta(days=2))
    group = setup.day.group
    household = factories.UserFactory(name="Foyer Martin", email="martin@exemple.fr")
    factories.MembershipFactory(user=household, organisation=group, role="member")
    scenario.add_basket(setup, user=household, size_index=1)
    scenario.add_order(setup, user=household, quantities=(1500, 0))
    friend = factories.UserFactory(name="Awa Diallo")
    given = scenario.add_basket(setup, user=friend, size_index=0)
    given.state, given.given_to_name, given.given_to_email = (
        "given",
        "Foyer Martin",
        "martin@exemple.fr",
    )
    factories.LedgerEntryFactory(
        user=household, group_id=group.id, amount_cents=-4550, label="Contrat"
    )
    shift_day = shift_support.day_in(0, schedule=setup.day.schedule)
    factories.ShiftSignupFactory(distribution_day=shift_day, user=household)
    db.session.commit()
    login(household)

    page = re.sub(r"\s+", " ", client.get("/tableau-de-bord").text)

    assert "Ma prochaine distribution" in page
    assert "1 panier Grand" in page
    assert "Le panier Petit que Awa Diallo vous donne" in page
    assert "1,5 kg Tomme" in page
    assert f"{group.name} : 45,50" in page
    assert f"/groupes/{group.slug}/mon-releve" in page
    assert "Ma prochaine permanence" in page
    assert 'href="/distributions/"' in page  # on duty today: the day's list
    assert page.count("Voir la page du groupe") == 1


def test_coordinator_sees_the_management_screens_of_their_group_only(client, user_with_role):
    group = _group_with_a_day()
    other = _group_with_a_day("AMAP voisine")
    user_with_role("coordinator", group)

    page = client.get("/tableau-de-bord")

    assert "Coordination : AMAP des Canuts" in page.text
    assert f"/groupes/{group.slug}/gestion/membres" in page.text
    assert f"/groupes/{group.slug}/gestion/lieux" in page.text
    assert f"/groupes/{group.slug}/gestion/calendrier" in page.text
    assert (
        f'href="/groupes/{group.slug}/gestion/producteurs">Producteur·rices partenaires</a>'
        in page.text
    )
    assert other.slug not in page.text


def test_volunteer_sees_where_help_is_welcome(client, user_with_role):
    group = _group_with_a_day()
    user_with_role("volunteer", group)

    page = client.get("/tableau-de-bord")

    assert "Bénévolat : AMAP des Canuts" in page.text
    assert "Halle AMAP des Canuts" in page.text


def test_producer_staff_sees_their_farm_and_the_groups_they_supply(client, user_with_role):
    group = _group_with_a_day()
    producer = factories.ProducerFactory(name="Chèvrerie de la Combe")
    factories.ProducerSuppliesGroupFactory(producer=producer, group=group)
    user_with_role("producer_staff", producer)

    page = client.get("/tableau-de-bord")

    assert "Chèvrerie de la Combe" in page.text
    assert f"/producteurs/{producer.slug}/modifier" in page.text
    assert "Halle AMAP des Canuts" in page.text


def test_grocery_staff_sees_their_grocery(client, user_with_role):
    grocery = factories.GroceryFactory(name="La Passerelle")
    user_with_role("grocery_staff", grocery)

    page = client.get("/tableau-de-bord")

    assert "La Passerelle" in page.text
    assert f"/epiceries/{grocery.slug}/modifier" in page.text
    # The day of the round: the stop lists, the purchases from the producers.
    assert 'href="/distributions/"' in page.text
    assert f"/epiceries/{grocery.slug}/achats" in page.text


def test_admin_sees_the_territory_counts(client, admin):
    _group_with_a_day()
    factories.ProducerFactory()
    db.session.commit()

    page = client.get("/tableau-de-bord")

    assert "Administration du territoire" in page.text
    assert "1 groupe AMAP" in page.text
    assert "1 distribution à venir" in page.text


def test_someone_without_a_group_is_invited_to_join_one(client, login):
    _group_with_a_day()
    login(factories.UserFactory())
    db.session.commit()

    page = client.get("/tableau-de-bord")

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
        assert client.get("/tableau-de-bord").status_code == 200

    for index in range(1, 6):
        group = _group_with_a_day(f"G{index}")
        factories.MembershipFactory(user=user, organisation=group, role=role)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as six_groups:
        assert client.get("/tableau-de-bord").status_code == 200

    assert six_groups.count == one_group.count
