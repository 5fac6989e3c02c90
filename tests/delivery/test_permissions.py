"""Only the group's coordinators (and site administrators) reach its delivery screens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.delivery.models import PickupPoint
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts")
    schedule = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=group)
    )
    exception = factories.ScheduleExceptionFactory(schedule=schedule)
    db.session.commit()
    group.ids = {"point": schedule.pickup_point_id, "rule": schedule.id, "exc": exception.id}
    return group


def urls(slug: str, ids: dict) -> list[tuple[str, str]]:
    base = f"/groupes/{slug}/gestion"
    rule = f"{base}/calendrier/{ids['rule']}"
    return [
        ("get", f"{base}/lieux"),
        ("get", f"{base}/lieux/nouveau"),
        ("get", f"{base}/lieux/{ids['point']}/modifier"),
        ("post", f"{base}/lieux/{ids['point']}/desactiver"),
        ("post", f"{base}/lieux/{ids['point']}/reactiver"),
        ("get", f"{base}/calendrier"),
        ("get", f"{base}/calendrier/nouveau"),
        ("post", f"{base}/calendrier/nouveau"),
        ("get", f"{rule}/modifier"),
        ("post", f"{rule}/suspendre"),
        ("post", f"{rule}/reprendre"),
        ("get", f"{rule}/exceptions"),
        ("post", f"{rule}/exceptions/{ids['exc']}/retirer"),
    ]


def request_all(client, slug, ids) -> set[int]:
    return {getattr(client, method)(url).status_code for method, url in urls(slug, ids)}


def test_a_coordinator_of_another_group_is_refused(client, group, user_with_role):
    user_with_role("coordinator", factories.GroupFactory())
    assert request_all(client, group.slug, group.ids) == {403}
    assert db.session.get(PickupPoint, group.ids["point"]).active


@pytest.mark.parametrize("role", ["member", "volunteer"])
def test_members_and_volunteers_of_the_group_are_refused(client, group, user_with_role, role):
    user_with_role(role, group)
    assert request_all(client, group.slug, group.ids) == {403}


def test_producer_staff_are_refused(client, group, user_with_role):
    producer = factories.ProducerFactory()
    factories.ProducerSuppliesGroupFactory(producer=producer, group=group)
    user_with_role("producer_staff", producer)
    assert request_all(client, group.slug, group.ids) == {403}


def test_visitors_are_sent_to_log_in(client, group):
    for method, url in urls(group.slug, group.ids):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert "/compte/connexion" in response.location
    assert db.session.scalar(select(PickupPoint.active))


def test_an_unknown_group_is_not_found(client, group, admin):
    assert request_all(client, "groupe-inconnu", group.ids) == {404}


def test_the_coordinator_of_the_group_gets_in(client, group, user_with_role):
    user_with_role("coordinator", group)
    for method, url in urls(group.slug, group.ids):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_a_site_administrator_gets_in(client, group, admin):
    base = f"/groupes/{group.slug}/gestion"
    assert client.get(f"{base}/lieux").status_code == 200
    assert client.get(f"{base}/calendrier").status_code == 200
