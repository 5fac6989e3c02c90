"""Harvest list, packing list and delivery sheet: what a producer reads and prints."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.shop.lists import delivery_sheet, harvest_list, list_context, packing_list
from tests import factories
from tests.organisations.pages import page_text
from tests.shop.lists_support import distribution_day, make_farm


@pytest.fixture
def farm():
    """One closed date of AMAP des Canuts at two points:

    Préau: Foyer Martin orders 1,5 kg carrots and 2 loaves, has a Grand basket;
           Foyer Dubois gave his Grand basket to Camille Petit;
           Foyer Durand is absent (Petit), Foyer Bernard cancelled an order of 5 kg carrots.
    Salle: Foyer Leroy orders 2 kg carrots and has 2 Petit baskets (one postponed);
           Foyer Moreau's Grand basket was donated.
    Another farm's product and basket, and an order for another date, must not show.
    """
    farm = make_farm()
    farm.offer_product("Carottes", "kg", 320)
    farm.offer_product("Pain de campagne", "piece", 450)
    names = ("Martin", "Dubois", "Durand", "Bernard", "Leroy", "Moreau")
    people = {name: factories.UserFactory(name=f"Foyer {name}") for name in names}

    farm.order(people["Martin"], "Préau", {"Carottes": 1500, "Pain de campagne": 2000})
    farm.order(people["Leroy"], "Salle", {"Carottes": 2000})
    farm.order(people["Bernard"], "Préau", {"Carottes": 5000}, status="cancelled")

    farm.basket(farm.subscribe(people["Martin"], "Préau", "Grand"), "Préau")
    farm.basket(
        farm.subscribe(people["Dubois"], "Préau", "Grand"),
        "Préau",
        state="given",
        given_to_name="Camille Petit",
    )
    farm.basket(farm.subscribe(people["Durand"], "Préau", "Petit"), "Préau", state="absent")
    farm.basket(farm.subscribe(people["Leroy"], "Salle", "Petit"), "Salle", quantity=2)
    farm.basket(farm.subscribe(people["Moreau"], "Salle", "Grand"), "Salle", state="donated")

    # Another farm supplying the same group: its product and basket are not ours.
    other_supply = factories.ProducerSuppliesGroupFactory(
        producer=factories.ProducerFactory(name="Fromagerie"), group=farm.group
    )
    cheese = factories.AvailabilityFactory(supply=other_supply, day=farm.day)
    other_order = factories.OrderFactory(distribution_day=farm.days["Préau"], user=people["Durand"])
    factories.OrderLineFactory(order=other_order, availability=cheese, quantity_milli=3000)
    other_offer = factories.BasketOfferFactory(supply=other_supply, name="Contrat fromage")
    factories.DeliveryFactory(
        subscription=factories.SubscriptionFactory(
            offer=other_offer, user=people["Durand"], pickup_point=farm.points["Préau"]
        ),
        distribution_day=farm.days["Préau"],
    )
    # Our carrots for the following week: a different date.
    later = distribution_day(farm.points["Préau"], farm.day + timedelta(days=7), closed=False)
    later_carrots = factories.AvailabilityFactory(
        supply=farm.supply, product=farm.products["Carottes"], day=later.day
    )
    later_order = factories.OrderFactory(distribution_day=later, user=people["Martin"])
    factories.OrderLineFactory(order=later_order, availability=later_carrots, quantity_milli=9000)
    db.session.commit()
    return farm


def staff(user_with_role, farm):
    return user_with_role("producer_staff", farm.producer)


def test_harvest_totals_cover_every_pickup_point(farm):
    harvest = harvest_list(list_context(farm.producer.id, farm.group.id, farm.day))
    products = {(p.name, p.quantity_milli, p.households) for p in harvest.products}
    assert products == {("Carottes", 3500, 2), ("Pain de campagne", 2000, 1)}
    # Absent and donated baskets are not harvested; the postponed one counts twice.
    baskets = {(b.offer_name, b.size_name, b.baskets) for b in harvest.baskets}
    assert baskets == {("Contrat légumes", "Petit", 2), ("Contrat légumes", "Grand", 2)}


def test_harvest_page_shows_totals_and_no_provisional_banner(client, farm, user_with_role):
    staff(user_with_role, farm)
    response = client.get(farm.url("recolte"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Liste de récolte" in text
    assert "3,5\xa0kg" in text or "3,5 kg" in text
    assert "2 pièces" in text
    assert "Fromagerie" not in text and "Contrat fromage" not in text
    assert "Liste provisoire" not in text
    assert 'style="' not in text


def test_packing_list_per_point_then_household(farm):
    points = packing_list(list_context(farm.producer.id, farm.group.id, farm.day))
    assert [packing.point.name for packing in points] == ["Préau de l'école", "Salle des fêtes"]
    preau, salle = points

    households = {(h.name, h.on_behalf_of): h for h in preau.households}
    assert set(households) == {("Camille Petit", "Foyer Dubois"), ("Foyer Martin", None)}
    martin = households["Foyer Martin", None]
    assert [(e.name, e.quantity_milli) for e in martin.extras] == [
        ("Carottes", 1500),
        ("Pain de campagne", 2000),
    ]
    assert [(b.size_name, b.baskets) for b in martin.baskets] == [("Grand", 1)]
    camille = households["Camille Petit", "Foyer Dubois"]
    assert [(b.size_name, b.baskets) for b in camille.baskets] == [("Grand", 1)]
    assert camille.extras == []

    assert [h.name for h in salle.households] == ["Foyer Leroy"]
    leroy = salle.households[0]
    assert [(b.size_name, b.baskets) for b in leroy.baskets] == [("Petit", 2)]
    assert [(e.name, e.quantity_milli) for e in leroy.extras] == [("Carottes", 2000)]


def test_packing_page_lists_the_gift_under_the_friends_name(client, farm, user_with_role):
    staff(user_with_role, farm)
    text = page_text(client.get(farm.url("colisage")))
    assert "Camille Petit (pour Foyer Dubois)" in text
    assert "Foyer Durand" not in text  # absent, and the other farm's customer only
    assert "Foyer Bernard" not in text  # cancelled order
    assert "Foyer Moreau" not in text  # donated basket
    preau = text[text.index("Préau de l'école") : text.index("Salle des fêtes")]
    assert "Foyer Martin" in preau and "Foyer Leroy" not in preau
    assert "2 paniers Contrat légumes — Petit" in text


def test_delivery_sheet_per_point(farm, client, user_with_role):
    sheets = delivery_sheet(list_context(farm.producer.id, farm.group.id, farm.day))
    by_point = {sheet.point.name: sheet for sheet in sheets}
    preau, salle = by_point["Préau de l'école"], by_point["Salle des fêtes"]
    assert [(b.size_name, b.baskets) for b in preau.baskets] == [("Grand", 2)]
    assert [(p.name, p.quantity_milli) for p in preau.products] == [
        ("Carottes", 1500),
        ("Pain de campagne", 2000),
    ]
    assert [(b.size_name, b.baskets) for b in salle.baskets] == [("Petit", 2)]
    assert [(p.name, p.quantity_milli) for p in salle.products] == [("Carottes", 2000)]

    staff(user_with_role, farm)
    text = page_text(client.get(farm.url("feuille-de-livraison")))
    assert "Feuille de livraison" in text
    assert "Panier Grand" in text and "2 paniers" in text


def read_csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_harvest_csv_opens_with_the_right_columns(client, farm, user_with_role):
    staff(user_with_role, farm)
    response = client.get(farm.url("recolte") + "?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f"recolte-amap-des-canuts-{farm.day.isoformat()}.csv" in disposition
    header, *rows = read_csv(response)
    assert header == ["Type", "Article", "Quantité", "Unité", "Foyers"]
    assert ["Produit", "Carottes", "3,5", "kg", "2"] in rows
    assert ["Produit", "Pain de campagne", "2", "pièces", "1"] in rows
    assert ["Panier", "Contrat légumes — Petit", "2", "paniers", ""] in rows
    assert ["Panier", "Contrat légumes — Grand", "2", "paniers", ""] in rows
    assert len(rows) == 4


def test_packing_and_sheet_csv(client, farm, user_with_role):
    staff(user_with_role, farm)
    header, *rows = read_csv(client.get(farm.url("colisage") + "?format=csv"))
    assert header == ["Lieu de distribution", "Foyer", "Article", "Quantité", "Unité"]
    assert [
        "Préau de l'école",
        "Camille Petit (pour Foyer Dubois)",
        "Contrat légumes — Grand",
        "1",
        "panier",
    ] in rows
    assert ["Préau de l'école", "Foyer Martin", "Carottes", "1,5", "kg"] in rows
    assert ["Salle des fêtes", "Foyer Leroy", "Contrat légumes — Petit", "2", "paniers"] in rows

    header, *rows = read_csv(client.get(farm.url("feuille-de-livraison") + "?format=csv"))
    assert header == ["Lieu de distribution", "Article", "Quantité", "Unité"]
    assert ["Salle des fêtes", "Carottes", "2", "kg"] in rows
    assert ["Préau de l'école", "Contrat légumes — Grand", "2", "paniers"] in rows


def test_a_name_that_looks_like_a_formula_is_defused(client, user_with_role):
    farm = make_farm()
    farm.offer_product("=SOMME(A1)", "piece")
    farm.order(factories.UserFactory(name="+Foyer"), "Préau", {"=SOMME(A1)": 1000})
    db.session.commit()
    staff(user_with_role, farm)
    _, *rows = read_csv(client.get(farm.url("colisage") + "?format=csv"))
    assert rows == [["Préau de l'école", "'+Foyer", "'=SOMME(A1)", "1", "pièce"]]


def test_lists_are_provisional_while_orders_are_open(client, user_with_role):
    farm = make_farm(closed=False)
    farm.offer_product("Carottes")
    farm.order(factories.UserFactory(name="Foyer Martin"), "Préau", {"Carottes": 1000})
    db.session.commit()
    staff(user_with_role, farm)
    for kind in ("recolte", "colisage", "feuille-de-livraison"):
        text = page_text(client.get(farm.url(kind)))
        assert "Liste provisoire, commandes encore ouvertes." in text, kind


def test_index_lists_open_and_closed_dates(client, farm, user_with_role):
    staff(user_with_role, farm)
    text = page_text(client.get(farm.url()))
    assert "AMAP des Canuts" in text
    assert "2 lieux de distribution" in text
    assert "closes" in text and "ouvertes" in text  # this date, and next week's
    assert farm.url("recolte") in text and farm.url("colisage") in text


def test_an_empty_point_says_there_is_nothing_to_pack(client, user_with_role):
    farm = make_farm()
    db.session.commit()
    staff(user_with_role, farm)
    assert "Rien à préparer pour ce lieu." in page_text(client.get(farm.url("colisage")))
    assert "Rien à apporter à ce lieu." in page_text(client.get(farm.url("feuille-de-livraison")))
    text = page_text(client.get(farm.url("recolte")))
    assert "Aucune commande à la carte pour cette date." in text


# --- permissions and bad addresses ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["", "recolte", "colisage", "feuille-de-livraison"])
def test_another_producer_and_a_member_are_refused(client, farm, user_with_role, kind):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(farm.url(kind)).status_code == 403
    user_with_role("member", farm.group)
    assert client.get(farm.url(kind)).status_code == 403
    assert client.get(farm.url(kind) + "?format=csv").status_code == 403


def test_a_visitor_must_log_in(client, farm):
    response = client.get(farm.url("colisage"))
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_an_administrator_may_read_the_lists(client, farm, admin):
    assert client.get(farm.url("colisage")).status_code == 200


def test_bad_addresses_are_not_found(client, farm, user_with_role):
    staff(user_with_role, farm)
    base = f"/producteurs/{farm.producer.id}/listes"
    other_group = factories.GroupFactory()
    db.session.commit()
    assert client.get(f"{base}/{farm.group.id}/pas-une-date/recolte").status_code == 404
    assert client.get(f"{base}/{farm.group.id}/2020-02-30/recolte").status_code == 404
    no_distribution = farm.day + timedelta(days=1)
    assert client.get(f"{base}/{farm.group.id}/{no_distribution}/recolte").status_code == 404
    assert client.get(f"{base}/{other_group.id}/{farm.day}/recolte").status_code == 404
    assert client.get(f"/producteurs/{farm.group.id}/listes/").status_code == 404  # a group


def test_an_unknown_format_is_a_clear_error(client, farm, user_with_role):
    staff(user_with_role, farm)
    response = client.get(farm.url("recolte") + "?format=xls")
    assert response.status_code == 400
    assert "Le format « xls » n'est pas proposé" in page_text(response)
