"""Coordinators edit how their group presents itself."""

from __future__ import annotations

from marketplace.extensions import db
from tests import factories
from tests.organisations.pages import page_text

VALID = {
    "name": "AMAP des Pentes",
    "description": "Paniers le jeudi.",
    "address": "1 place Sathonay",
    "postcode": "69001",
    "city": "Lyon",
    "latitude": "45,7676",
    "longitude": "4,8345",
    "email": "contact@amap-pentes.fr",
    "phone": "04 78 00 00 00",
}


def test_a_coordinator_edits_the_group(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role("coordinator", group)

    form = page_text(client.get(f"/groupes/{group.slug}/modifier"))
    assert group.name in form

    response = client.post(f"/groupes/{group.slug}/modifier", data=VALID, follow_redirects=True)

    assert "Les informations ont été enregistrées." in page_text(response)
    assert response.request.path == f"/groupes/{group.slug}"
    db.session.refresh(group)
    assert (group.name, group.city, group.latitude, group.longitude) == (
        "AMAP des Pentes",
        "Lyon",
        45.7676,
        4.8345,
    )


def test_a_bad_position_is_explained_and_nothing_saved(client, user_with_role):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user_with_role("coordinator", group)

    response = client.post(f"/groupes/{group.slug}/modifier", data={**VALID, "latitude": "95"})

    assert "La latitude doit être comprise entre -90 et 90." in page_text(response)
    db.session.refresh(group)
    assert group.name == "AMAP des Tilleuls"


def test_members_cannot_edit_the_group(client, user_with_role):
    group = factories.GroupFactory(name="AMAP des Tilleuls")
    user_with_role("member", group)
    assert client.get(f"/groupes/{group.slug}/modifier").status_code == 403
    assert client.post(f"/groupes/{group.slug}/modifier", data=VALID).status_code == 403
    db.session.refresh(group)
    assert group.name == "AMAP des Tilleuls"
