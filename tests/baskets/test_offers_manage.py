"""Coordinators create and edit their group's basket offers (offers.new / offers.edit)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import BasketOffer
from marketplace.extensions import db
from tests import factories
from tests.organisations.pages import page_text


@pytest.fixture
def group():
    return factories.GroupFactory(name="AMAP des Tilleuls", slug="tilleuls")


@pytest.fixture
def supply(group):
    farm = factories.ProducerFactory(name="Ferme des Combes")
    supply = factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    db.session.commit()
    return supply


@pytest.fixture
def farm(supply):
    return supply.producer


@pytest.fixture
def coordinator(group, user_with_role):
    return user_with_role("coordinator", group)


def offer_form(farm, **changes) -> dict:
    form = {
        "producer_id": str(farm.id),
        "name": "Légumes été 2026",
        "description": "Des légumes de saison.",
        "season_starts_on": "2026-05-05",
        "season_ends_on": "2026-10-27",
        "frequency": "weekly",
        "signup_opens_on": "2026-03-01",
        "signup_opens_time": "09:00",
        "signup_closes_on": "2026-04-30",
        "signup_closes_time": "20:00",
        "max_absences": "3",
        "absence_policy": "postpone",
        "plans": ["season", "monthly"],
        "methods": ["cheque", "transfer"],
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def offer_count() -> int:
    return db.session.scalar(select(func.count(BasketOffer.id)))


def test_a_coordinator_creates_a_draft_offer_with_the_usual_tiers(client, group, farm, coordinator):
    page = page_text(client.get("/groupes/tilleuls/gestion/offres/nouveau"))
    assert "Ferme des Combes" in page
    assert "Une semaine sur deux" in page and "Prélèvement SEPA" in page

    response = client.post("/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm))

    offer = db.session.scalar(select(BasketOffer))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/groupes/tilleuls/gestion/offres/{offer.id}"
    assert (offer.name, offer.status, offer.producer_id) == ("Légumes été 2026", "draft", farm.id)
    assert (offer.season_starts_on, offer.season_ends_on) == (date(2026, 5, 5), date(2026, 10, 27))
    # Paris local time, stored in UTC (summer time: UTC+2; winter: UTC+1).
    assert offer.signup_opens_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert offer.signup_closes_at == datetime(2026, 4, 30, 18, 0, tzinfo=UTC)
    assert (offer.max_absences, offer.absence_policy) == (3, "postpone")
    assert offer.allowed_plans == ["season", "monthly"]
    assert offer.allowed_methods == ["cheque", "transfer"]
    assert [(tier.name, tier.percent) for tier in offer.tiers] == [
        ("Solidaire", 50),
        ("Standard", 100),
        ("Soutien", 120),
    ]
    page = page_text(client.get(response.headers["Location"]))
    assert "Contrat créé en brouillon" in page
    assert "Brouillon" in page and "Solidaire" in page and "Publier le contrat" in page


def test_the_edit_page_shows_the_saved_conditions_and_saves_changes(
    client, group, farm, coordinator
):
    client.post("/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm))
    offer = db.session.scalar(select(BasketOffer))
    url = f"/groupes/tilleuls/gestion/offres/{offer.id}"

    page = page_text(client.get(url))
    assert 'value="Légumes été 2026"' in page
    assert 'value="2026-03-01"' in page and 'value="09:00"' in page
    assert 'value="20:00"' in page

    changed = offer_form(
        farm,
        name="Légumes été-automne 2026",
        frequency="fortnightly",
        plans=["per_delivery"],
        methods=["card", "sepa_debit", "cash"],
        signup_closes_on="2026-01-15",
        signup_opens_on="2026-01-10",
    )
    response = client.post(url, data=changed)

    assert response.status_code == 302
    db.session.expire_all()
    assert offer.name == "Légumes été-automne 2026"
    assert offer.frequency == "fortnightly"
    assert offer.allowed_plans == ["per_delivery"]
    assert offer.allowed_methods == ["card", "sepa_debit", "cash"]
    assert offer.signup_closes_at == datetime(2026, 1, 15, 19, 0, tzinfo=UTC)
    assert "Contrat enregistré." in page_text(client.get(url))


BAD_OFFERS = [
    (
        {"season_ends_on": "2026-05-01"},
        "La fin de la saison doit être le jour du début ou après.",
    ),
    (
        {"signup_closes_on": "2026-03-01", "signup_closes_time": "08:00"},
        "La clôture des inscriptions doit venir après leur ouverture.",
    ),
    ({"plans": None}, "Autorisez au moins une façon d'échelonner."),
    ({"methods": None}, "Autorisez au moins un moyen de paiement."),
    ({"methods": ["bitcoin"]}, "Choisissez dans la liste."),
    ({"name": "x" * 121}, "120 caractères au maximum."),
    ({"name": "  "}, "Ce champ est obligatoire."),
    ({"max_absences": "-1"}, "Entre 0 et 52 absences."),
    ({"season_starts_on": "demain"}, "Ce champ est obligatoire."),
    ({"frequency": "daily"}, "N'est pas un choix valide."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_OFFERS)
def test_bad_conditions_are_refused_with_a_clear_message(
    client, group, farm, coordinator, changes, message
):
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm, **changes)
    )

    assert response.status_code == 200
    assert message in page_text(response)
    assert offer_count() == 0


def test_a_producer_who_does_not_supply_the_group_is_refused(client, group, farm, coordinator):
    stranger = factories.ProducerFactory(name="Ferme Lointaine")
    db.session.commit()

    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau",
        data=offer_form(farm, producer_id=str(stranger.id)),
    )

    assert response.status_code == 200
    assert "Choisissez un·e producteur·rice qui livre le groupe." in page_text(response)
    assert "Ferme Lointaine" not in page_text(response)
    assert offer_count() == 0


@pytest.mark.parametrize("producer_id", ["", "abc", "999999"])
def test_a_missing_or_unknown_producer_is_refused(client, group, farm, coordinator, producer_id):
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm, producer_id=producer_id)
    )
    assert "Choisissez un·e producteur·rice qui livre le groupe." in page_text(response)
    assert offer_count() == 0


def test_bad_edits_leave_the_offer_unchanged(client, group, supply, farm, coordinator):
    offer = factories.BasketOfferFactory(supply=supply, name="Avant")
    db.session.commit()

    response = client.post(
        f"/groupes/tilleuls/gestion/offres/{offer.id}",
        data=offer_form(farm, name="Après", season_ends_on="2026-01-01"),
    )

    assert "La fin de la saison doit être le jour du début ou après." in page_text(response)
    db.session.expire_all()
    assert offer.name == "Avant"


def test_once_households_subscribed_the_season_and_rhythm_stay(
    client, group, supply, farm, coordinator
):
    offer = factories.BasketOfferFactory(supply=supply)
    factories.SubscriptionFactory(offer=offer)
    db.session.commit()
    form = offer_form(
        farm,
        season_starts_on=offer.season_starts_on.isoformat(),
        season_ends_on=offer.season_ends_on.isoformat(),
        frequency="fortnightly",
    )

    response = client.post(f"/groupes/tilleuls/gestion/offres/{offer.id}", data=form)

    assert "Des foyers ont déjà souscrit" in page_text(response)
    db.session.expire_all()
    assert offer.frequency == "weekly"

    form["frequency"] = "weekly"
    form["name"] = "Nouveau nom"
    assert client.post(f"/groupes/tilleuls/gestion/offres/{offer.id}", data=form).status_code == 302
    db.session.expire_all()
    assert offer.name == "Nouveau nom"


def test_the_form_explains_when_no_producer_supplies_the_group(client, group, coordinator):
    page = page_text(client.get("/groupes/tilleuls/gestion/offres/nouveau"))
    assert "Aucun·e producteur·rice ne livre encore ce groupe" in page
    assert 'href="/groupes/tilleuls/gestion/producteurs"' in page


def test_an_offer_of_another_group_is_not_found(client, group, farm, coordinator):
    other = factories.BasketOfferFactory()
    db.session.commit()
    assert client.get(f"/groupes/tilleuls/gestion/offres/{other.id}").status_code == 404
