"""The coordinators' pickup point screens: list, create, edit, deactivate, reactivate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.delivery import days
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories


def point_form(**changes) -> dict:
    return {
        "name": "Salle du Rize",
        "address": "23 rue Valentin-Haüy",
        "postcode": "69100",
        "city": "Villeurbanne",
        "latitude": "45,7640",
        "longitude": "4.8800",
        "access_notes": "Entrée côté cour.",
        "capacity": "50",
    } | changes


def points_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PickupPoint))


@pytest.fixture
def group(user_with_role):
    group = factories.GroupFactory(slug="amap-des-canuts")
    user_with_role("coordinator", group)
    return group


def test_list_shows_open_and_deactivated_points(client, group):
    factories.PickupPointFactory(group=group, name="Préau de l'école")
    factories.PickupPointFactory(group=group, name="Ancienne halle", active=False)
    factories.PickupPointFactory(name="Lieu d'un autre groupe")
    db.session.commit()

    page = client.get("/groupes/amap-des-canuts/gestion/lieux")

    assert page.status_code == 200
    assert "Préau de l&#39;école" in page.text
    assert "Ancienne halle" in page.text and "Désactivé" in page.text
    assert "Lieu d&#39;un autre groupe" not in page.text


def test_create_a_point_with_a_french_decimal_comma(client, group):
    form = client.get("/groupes/amap-des-canuts/gestion/lieux/nouveau")
    assert form.status_code == 200 and "Nouveau lieu de distribution" in form.text

    response = client.post("/groupes/amap-des-canuts/gestion/lieux/nouveau", data=point_form())

    assert response.status_code == 302
    assert response.location.endswith("/groupes/amap-des-canuts/gestion/lieux")
    point = db.session.scalar(select(PickupPoint))
    assert (point.name, point.group_id, point.capacity) == ("Salle du Rize", group.id, 50)
    assert point.latitude == pytest.approx(45.764)
    assert "Lieu de distribution enregistré." in client.get(response.location).text


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"latitude": "95"}, "La latitude doit être comprise entre -90 et 90."),
        ({"longitude": "-181"}, "La longitude doit être comprise entre -180 et 180."),
        ({"latitude": "quarante-cinq"}, "Indiquez un nombre"),
        ({"name": ""}, "Ce champ est obligatoire."),
        ({"name": "x" * 121}, "120 caractères au maximum."),
        ({"postcode": "691"}, "Un code postal a 5 chiffres."),
        ({"capacity": "0"}, "La capacité doit être d&#39;au moins 1."),
    ],
)
def test_bad_input_shows_a_french_error_and_saves_nothing(client, group, changes, message):
    response = client.post(
        "/groupes/amap-des-canuts/gestion/lieux/nouveau", data=point_form(**changes)
    )
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert points_count() == 0


def test_a_name_already_used_in_the_group_is_refused(client, group):
    factories.PickupPointFactory(group=group, name="Salle du Rize")
    db.session.commit()

    response = client.post(
        "/groupes/amap-des-canuts/gestion/lieux/nouveau", data=point_form(name="salle du rize")
    )

    assert "Le groupe a déjà un lieu de distribution nommé ainsi." in response.text
    assert points_count() == 1


def test_edit_a_point(client, group):
    point = factories.PickupPointFactory(group=group, name="Préau")
    db.session.commit()
    url = f"/groupes/amap-des-canuts/gestion/lieux/{point.id}/modifier"
    assert 'value="Préau"' in client.get(url).text

    response = client.post(url, data=point_form(name="Préau couvert", capacity=""))

    assert response.status_code == 302
    db.session.refresh(point)
    assert (point.name, point.capacity) == ("Préau couvert", None)


def test_a_point_of_another_group_is_not_found(client, group):
    foreign = factories.PickupPointFactory()
    db.session.commit()
    url = f"/groupes/amap-des-canuts/gestion/lieux/{foreign.id}/modifier"
    assert client.get(url).status_code == 404
    assert client.post(url, data=point_form()).status_code == 404
    deactivate = f"/groupes/amap-des-canuts/gestion/lieux/{foreign.id}/desactiver"
    assert client.post(deactivate).status_code == 404
    db.session.refresh(foreign)
    assert foreign.active and foreign.name != "Salle du Rize"


def test_deactivate_cancels_coming_days_and_reactivate_restores_them(client, group):
    today = paris_today()
    schedule = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=group), starts_on=today
    )
    days.materialise_schedule(schedule, today, 4)
    db.session.commit()
    point_id = schedule.pickup_point_id

    response = client.post(f"/groupes/amap-des-canuts/gestion/lieux/{point_id}/desactiver")

    assert response.status_code == 302
    statuses = set(db.session.scalars(select(DistributionDay.status)))
    assert statuses == {"cancelled"}
    page = client.get(response.location).text
    assert "Lieu fermé." in page and "Désactivé" in page

    client.post(f"/groupes/amap-des-canuts/gestion/lieux/{point_id}/reactiver")
    db.session.expire_all()
    assert set(db.session.scalars(select(DistributionDay.status))) == {"scheduled"}
    assert db.session.get(PickupPoint, point_id).active
    # Days already past are left alone by both.
    assert today - timedelta(days=1) < min(db.session.scalars(select(DistributionDay.day)))
