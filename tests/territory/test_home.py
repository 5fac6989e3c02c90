from datetime import UTC, datetime, timedelta

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries


def _group_with_days(name: str, points: int = 1, producers: int = 1):
    group = factories.GroupFactory(name=name)
    for _ in range(points):
        schedule = factories.DistributionScheduleFactory(
            pickup_point=factories.PickupPointFactory(group=group)
        )
        for week in range(1, 5):
            day = datetime.now(UTC).date() + timedelta(weeks=week)
            factories.DistributionDayFactory(schedule=schedule, occurrence_date=day)
    for _ in range(producers):
        factories.ProducerSuppliesGroupFactory(group=group)
    return group


def test_home_shows_groups_producers_groceries_and_next_days(client):
    group = _group_with_days("AMAP des Canuts")
    factories.GroceryFactory(name="Épicerie La Passerelle")
    db.session.commit()

    page = client.get("/")

    assert page.status_code == 200
    assert 'lang="fr"' in page.text
    assert "AMAP des Canuts" in page.text
    assert "Épicerie La Passerelle" in page.text
    assert "Ferme du Coteau" in page.text  # the producer supplying the group
    assert group.name in page.text
    assert "Préau de l" in page.text
    # Only the three next days of each pickup point are listed.
    assert page.text.count('class="day-list"') == 1
    assert page.text.count("18:00") == 3


def test_home_hides_past_days(client):
    schedule = factories.DistributionScheduleFactory()
    past = datetime.now(UTC).date() - timedelta(days=14)
    factories.DistributionDayFactory(schedule=schedule, occurrence_date=past)
    db.session.commit()

    page = client.get("/")

    assert "Aucune distribution prévue pour le moment." in page.text


def test_home_shows_cancelled_days_as_cancelled(client):
    schedule = factories.DistributionScheduleFactory()
    day = datetime.now(UTC).date() + timedelta(days=3)
    factories.DistributionDayFactory(
        schedule=schedule, occurrence_date=day, status="cancelled", note="Jour férié : Noël"
    )
    db.session.commit()

    page = client.get("/")

    assert "Annulée" in page.text
    assert "Jour férié : Noël" in page.text


def test_home_query_count_does_not_grow_with_the_territory(client):
    _group_with_days("Petit groupe", points=1, producers=1)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as small:
        assert client.get("/").status_code == 200

    for index in range(8):
        _group_with_days(f"Groupe {index}", points=3, producers=4)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as large:
        assert client.get("/").status_code == 200

    assert large.count == small.count
