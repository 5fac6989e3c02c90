"""The public page of a producer, and the farm team editing it."""

from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from tests import factories
from tests.organisations.pages import page_text

VALID = {
    "name": "Ferme des Combes",
    "description": "Chèvres et fromages fermiers.",
    "trade": "fromager",
    "label_codes": ["hve", "ab"],
    "address": "Chemin des Combes",
    "postcode": "69610",
    "city": "Saint-Genis-l'Argentière",
    "latitude": "45,7106",
    "longitude": "4.4983",
    "email": "Contact@Combes.fr",
    "phone": "+33 6 12 34 56 78",
}


def test_visitors_see_the_farm_its_labels_and_the_groups_it_supplies(client):
    farm = factories.ProducerFactory(
        name="Ferme des Combes",
        trade="apiculteur",
        labels="ab nature_progres",
        description="Miel de châtaignier.",
        address="Chemin des Combes",
        city="Yzeron",
    )
    group = factories.GroupFactory(name="AMAP des Pentes")
    factories.ProducerSuppliesGroupFactory(producer=farm, group=group)
    factories.GroupFactory(name="AMAP Lointaine")
    db.session.commit()

    response = client.get(f"/producteurs/{farm.slug}")

    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        "Ferme des Combes",
        "Apiculture",
        "Agriculture biologique (AB)",
        "Nature & Progrès",
        "Miel de châtaignier.",
        "Chemin des Combes",
        "Yzeron",
        "AMAP des Pentes",
        f'href="/groupes/{group.slug}"',
    ):
        assert expected in text
    assert "AMAP Lointaine" not in text
    assert "Modifier la présentation" not in text


def test_an_unknown_producer_is_not_found(client):
    group = factories.GroupFactory()
    db.session.commit()
    assert client.get("/producteurs/nulle-part").status_code == 404
    assert client.get(f"/producteurs/{group.slug}").status_code == 404  # a group is no farm


def test_farm_staff_edit_their_farm(client, user_with_role):
    farm = factories.ProducerFactory(labels="ab")
    user_with_role("producer_staff", farm)

    form = page_text(client.get(f"/producteurs/{farm.slug}/modifier"))
    assert re.search(r'<input checked[^>]*value="ab"', form)
    assert not re.search(r'<input checked[^>]*value="hve"', form)

    response = client.post(f"/producteurs/{farm.slug}/modifier", data=VALID, follow_redirects=True)

    assert "Les informations ont été enregistrées." in page_text(response)
    db.session.refresh(farm)
    assert farm.name == "Ferme des Combes"
    assert farm.trade == "fromager"
    assert farm.labels == "ab hve"
    assert (farm.latitude, farm.longitude) == (45.7106, 4.4983)
    assert farm.email == "contact@combes.fr"


def test_unchecking_every_label_and_the_trade_clears_them(client, user_with_role):
    farm = factories.ProducerFactory(labels="ab hve")
    user_with_role("producer_staff", farm)
    data = {**VALID, "trade": "", "latitude": "", "longitude": ""}
    del data["label_codes"]

    client.post(f"/producteurs/{farm.slug}/modifier", data=data)

    db.session.refresh(farm)
    assert (farm.trade, farm.labels, farm.latitude, farm.longitude) == (None, None, None, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Indiquez un nom."),
        ({"name": "x" * 121}, "120 caractères au maximum."),
        ({"city": "x" * 101}, "100 caractères au maximum."),
        ({"postcode": "1" * 11}, "10 caractères au maximum."),
        ({"phone": "06" * 16}, "30 caractères au maximum."),
        ({"phone": "appelez-moi"}, "Un numéro de téléphone ne contient que des chiffres"),
        ({"email": "pas-une-adresse"}, "Cette adresse e-mail n'est pas valide."),
        ({"latitude": "95"}, "La latitude doit être comprise entre -90 et 90."),
        ({"longitude": "-200"}, "La longitude doit être comprise entre -180 et 180."),
        ({"latitude": "nord"}, "Saisissez un nombre, par exemple 45,7640."),
        ({"longitude": "nan"}, "Saisissez un nombre, par exemple 45,7640."),
        ({"longitude": ""}, "Indiquez la latitude et la longitude, ou aucune des deux."),
        ({"trade": "astronaute"}, "Choisissez un métier proposé dans la liste."),
        ({"label_codes": ["ab", "faux-label"]}, "Choisissez des labels proposés dans la liste."),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(client, user_with_role, changes, message):
    farm = factories.ProducerFactory(name="Ferme du Coteau", trade="maraicher", labels="ab")
    user_with_role("producer_staff", farm)

    response = client.post(f"/producteurs/{farm.slug}/modifier", data={**VALID, **changes})

    assert response.status_code == 200
    assert message in page_text(response)
    db.session.refresh(farm)
    assert (farm.name, farm.trade, farm.labels) == ("Ferme du Coteau", "maraicher", "ab")


def test_staff_of_one_farm_cannot_edit_another(client, user_with_role):
    mine = factories.ProducerFactory()
    theirs = factories.ProducerFactory(name="Ferme Voisine")
    user_with_role("producer_staff", mine)

    assert client.get(f"/producteurs/{theirs.slug}/modifier").status_code == 403
    assert client.post(f"/producteurs/{theirs.slug}/modifier", data=VALID).status_code == 403
    db.session.refresh(theirs)
    assert theirs.name == "Ferme Voisine"


def test_a_group_coordinator_cannot_edit_a_farm_supplying_the_group(client, user_with_role):
    link = factories.ProducerSuppliesGroupFactory()
    user_with_role("coordinator", link.group)
    assert client.get(f"/producteurs/{link.producer.slug}/modifier").status_code == 403


def test_visitors_are_sent_to_log_in(client):
    farm = factories.ProducerFactory()
    db.session.commit()
    response = client.get(f"/producteurs/{farm.slug}/modifier")
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def test_site_admins_edit_any_farm(client, admin):
    farm = factories.ProducerFactory()
    db.session.commit()
    response = client.post(f"/producteurs/{farm.slug}/modifier", data=VALID)
    assert response.status_code == 302
    db.session.refresh(farm)
    assert farm.name == "Ferme des Combes"


def test_staff_find_their_screens_from_the_farm_page(client, user_with_role):
    farm = factories.ProducerFactory()
    user_with_role("producer_staff", farm)
    text = page_text(client.get(f"/producteurs/{farm.slug}"))
    assert f'href="/producteurs/{farm.slug}/modifier"' in text
    assert f'href="/producteurs/{farm.slug}/gestion/membres"' in text
