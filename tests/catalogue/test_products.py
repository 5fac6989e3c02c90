"""The producer's catalogue: list, create, edit, archive and restore products."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalogue.models import Availability, Product
from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries


def _form(**values):
    data = {
        "name": "Poireaux",
        "category": "legumes",
        "unit": "botte",
        "price": "2,50",
        "description": "Poireaux d'hiver.",
        "label_codes": ["ab"],
    }
    data.update(values)
    return data


def test_a_producer_adds_a_product(client, farm, staff):
    response = client.post(f"{farm.catalogue_url}/nouveau", data=_form(), follow_redirects=True)
    assert "Poireaux ajouté au catalogue." in response.text
    product = db.session.scalar(select(Product).where(Product.name == "Poireaux"))
    assert (product.unit, product.price_cents, product.labels) == ("botte", 250, "ab")
    assert product.producer_id == farm.producer.id
    assert "2,50" in response.text and "botte" in response.text


def test_bad_input_shows_errors_and_saves_nothing(client, farm, staff):
    response = client.post(f"{farm.catalogue_url}/nouveau", data=_form(name="", price="abc"))
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.text
    assert "Indiquez un prix en euros, par exemple 3,20." in response.text
    response = client.post(f"{farm.catalogue_url}/nouveau", data=_form(price="0"))
    assert "Le prix doit être supérieur à zéro." in response.text
    response = client.post(f"{farm.catalogue_url}/nouveau", data=_form(unit="tonne"))
    assert "Choisissez une unité proposée dans la liste." in response.text
    assert db.session.scalars(select(Product)).all() == []


def test_a_name_is_used_once_per_catalogue(client, farm, staff):
    factories.ProductFactory(producer=farm.producer, name="Poireaux")
    db.session.commit()
    response = client.post(f"{farm.catalogue_url}/nouveau", data=_form())
    assert "Votre catalogue a déjà un produit de ce nom." in response.text
    assert len(db.session.scalars(select(Product)).all()) == 1


def test_a_producer_edits_a_product(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer, name="Carottes", unit="kg")
    db.session.commit()
    url = f"{farm.catalogue_url}/{product.id}"
    assert "Carottes" in client.get(url).text
    response = client.post(url, data=_form(name="Carottes nouvelles", unit="kg", price="3"))
    assert response.status_code == 302
    db.session.refresh(product)
    assert (product.name, product.price_cents, product.category) == (
        "Carottes nouvelles",
        300,
        "legumes",
    )


def test_the_unit_stays_once_offered(client, farm, staff):
    availability = factories.AvailabilityFactory(
        product=factories.ProductFactory(producer=farm.producer, unit="kg"),
        group_id=farm.group.id,
        supply=None,
    )
    db.session.commit()
    product = availability.product
    response = client.post(f"{farm.catalogue_url}/{product.id}", data=_form(unit="piece"))
    assert "son unité ne peut plus changer" in response.text
    db.session.refresh(product)
    assert product.unit == "kg"


def test_archiving_withdraws_coming_offers_without_orders(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer)
    free = factories.AvailabilityFactory(
        product=product, group_id=farm.group.id, supply=None, day=farm.open_day.day
    )
    ordered = factories.AvailabilityFactory(
        product=product,
        group_id=farm.group.id,
        supply=None,
        day=farm.next_day.day,
        reserved_milli=2000,
    )
    db.session.commit()
    response = client.post(f"{farm.catalogue_url}/{product.id}/archiver", follow_redirects=True)
    assert "ces commandes seront honorées" in response.text
    db.session.expire_all()
    assert product.archived
    assert not db.session.get(Availability, free.id).published
    assert db.session.get(Availability, ordered.id).published
    assert "Produits archivés" in response.text

    response = client.post(f"{farm.catalogue_url}/{product.id}/restaurer", follow_redirects=True)
    assert "est de retour dans le catalogue" in response.text
    db.session.refresh(product)
    assert not product.archived


def test_only_the_farm_team_manages_its_catalogue(client, farm, user_with_role):
    product = factories.ProductFactory(producer=farm.producer)
    other_farm = factories.ProducerFactory()
    db.session.commit()
    user_with_role("member", farm.group)
    assert client.get(farm.catalogue_url).status_code == 403
    assert client.post(f"{farm.catalogue_url}/nouveau", data=_form()).status_code == 403
    # Staff of another farm: refused here, and this farm's product is not theirs to open.
    user_with_role("producer_staff", other_farm)
    assert client.get(farm.catalogue_url).status_code == 403
    other_url = f"/producteurs/{other_farm.slug}/catalogue/{product.id}"
    assert client.get(other_url).status_code == 404
    assert client.post(other_url, data=_form(name="Volé")).status_code == 404
    assert client.post(f"{other_url}/archiver").status_code == 404
    db.session.refresh(product)
    assert product.name != "Volé" and not product.archived


def test_an_admin_may_manage_any_catalogue(client, farm, admin):
    assert client.get(farm.catalogue_url).status_code == 200


def test_visitors_are_sent_to_log_in(client, farm):
    response = client.get(farm.catalogue_url)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def _list_queries(client, farm, count: int) -> int:
    for index in range(count):
        factories.ProductFactory(
            producer=farm.producer, name=f"Produit {count}-{index}", archived=index % 5 == 0
        )
    db.session.commit()
    with count_queries() as counter:
        assert client.get(farm.catalogue_url).status_code == 200
    return counter.count


def test_the_list_runs_the_same_queries_whatever_the_catalogue_size(client, farm, staff):
    few = _list_queries(client, farm, 5)
    many = _list_queries(client, farm, 100)
    assert few == many
