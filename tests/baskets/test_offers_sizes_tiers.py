"""Coordinators add, edit and remove an offer's basket sizes and price tiers, then publish it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.baskets.models import BasketSize, PriceTier
from marketplace.extensions import db
from tests import factories
from tests.organisations.pages import page_text


@pytest.fixture
def offer():
    offer = factories.BasketOfferFactory(status="draft", supply__group__slug="tilleuls")
    for position, (name, percent) in enumerate([("Solidaire", 50), ("Standard", 100)]):
        factories.PriceTierFactory(offer=offer, name=name, percent=percent, position=position)
    db.session.commit()
    return offer


@pytest.fixture
def coordinator(offer, user_with_role):
    return user_with_role("coordinator", offer.group)


def base(offer) -> str:
    return f"/groupes/tilleuls/gestion/offres/{offer.id}"


def sizes(offer) -> list[tuple[str, int, int | None]]:
    db.session.expire_all()
    return [
        (size.name, size.price_cents, size.capacity)
        for size in db.session.scalars(
            select(BasketSize).where(BasketSize.offer_id == offer.id).order_by(BasketSize.id)
        )
    ]


def tiers(offer) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [
        (tier.name, tier.percent)
        for tier in db.session.scalars(
            select(PriceTier).where(PriceTier.offer_id == offer.id).order_by(PriceTier.id)
        )
    ]


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("15,50", 1550), ("15.50", 1550), ("15", 1500), ("9,5", 950), (" 22 ", 2200)],
)
def test_prices_typed_the_french_or_english_way_are_kept_in_cents(
    client, offer, coordinator, typed, cents
):
    response = client.post(
        f"{base(offer)}/tailles/nouveau",
        data={"name": "Petit panier", "description": "Pour 2", "price": typed, "capacity": "30"},
    )

    assert response.status_code == 302
    assert sizes(offer) == [("Petit panier", cents, 30)]


def test_a_size_is_shown_priced_and_can_be_edited(client, offer, coordinator):
    client.post(f"{base(offer)}/tailles/nouveau", data={"name": "Grand panier", "price": "22,00"})
    size = db.session.scalar(select(BasketSize))

    page = page_text(client.get(base(offer)))
    assert "Grand panier" in page and "22,00\xa0€" in page and "Sans limite" in page

    form_page = page_text(client.get(f"{base(offer)}/tailles/{size.id}"))
    assert 'value="22,00"' in form_page
    client.post(f"{base(offer)}/tailles/{size.id}", data={"name": "Grand", "price": "24,5"})
    assert sizes(offer) == [("Grand", 2450, None)]


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-3", "Indiquez un montant en euros, par exemple 15,50"),
        ("0", "Le prix doit être supérieur à zéro."),
        ("0,00", "Le prix doit être supérieur à zéro."),
        ("abc", "Indiquez un montant en euros, par exemple 15,50"),
        ("12,345", "deux décimales au plus"),
        ("", "Indiquez un prix."),
    ],
)
def test_bad_prices_are_refused(client, offer, coordinator, price, message):
    response = client.post(f"{base(offer)}/tailles/nouveau", data={"name": "Petit", "price": price})

    assert response.status_code == 200
    assert message in page_text(response)
    assert sizes(offer) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "x" * 61}, "60 caractères au maximum."),
        ({"capacity": "0"}, "La capacité doit être d'au moins 1."),
        ({"name": "Petit"}, "Ce contrat a déjà une taille « Petit »."),
    ],
)
def test_bad_sizes_are_refused(client, offer, coordinator, changes, message):
    factories.BasketSizeFactory(offer=offer, name="Petit", price_cents=1200, capacity=None)
    db.session.commit()

    response = client.post(
        f"{base(offer)}/tailles/nouveau", data={"name": "Grand", "price": "20", **changes}
    )

    assert message in page_text(response)
    assert sizes(offer) == [("Petit", 1200, None)]


def test_an_unused_size_is_removed(client, offer, coordinator):
    size = factories.BasketSizeFactory(offer=offer)
    db.session.commit()

    response = client.post(f"{base(offer)}/tailles/{size.id}/retirer", follow_redirects=True)

    assert "Taille de panier retirée." in page_text(response)
    assert sizes(offer) == []


def test_a_subscribed_size_can_be_renamed_but_not_repriced_nor_removed(client, offer, coordinator):
    subscription = factories.SubscriptionFactory(offer=offer, tier=offer.tiers[1])
    size = subscription.size
    db.session.commit()
    before = sizes(offer)

    response = client.post(
        f"{base(offer)}/tailles/{size.id}", data={"name": "Petit", "price": "99"}
    )
    assert "son prix ne peut plus changer" in page_text(response)
    assert sizes(offer) == before

    response = client.post(f"{base(offer)}/tailles/{size.id}/retirer", follow_redirects=True)
    assert "elle ne peut pas être retirée" in page_text(response)
    assert sizes(offer) == before
    assert "Déjà souscrite" in page_text(response)

    price = f"{size.price_cents // 100},{size.price_cents % 100:02d}"
    response = client.post(
        f"{base(offer)}/tailles/{size.id}", data={"name": "Petit", "price": price}
    )
    assert response.status_code == 302
    assert sizes(offer)[0][0] == "Petit"


def test_capacity_cannot_drop_below_the_households_already_subscribed(client, offer, coordinator):
    size = factories.BasketSizeFactory(offer=offer, price_cents=1500, capacity=10)
    for _ in range(2):
        factories.SubscriptionFactory(offer=offer, size=size, tier=offer.tiers[1])
    db.session.commit()

    response = client.post(
        f"{base(offer)}/tailles/{size.id}", data={"name": size.name, "price": "15", "capacity": "1"}
    )

    assert "2 foyers ont déjà ce panier" in page_text(response)
    assert sizes(offer)[0][2] == 10


def test_tiers_are_added_edited_and_removed(client, offer, coordinator):
    response = client.post(
        f"{base(offer)}/tarifs/nouveau", data={"name": "Soutien", "percent": "130"}
    )
    assert response.status_code == 302
    assert tiers(offer) == [("Solidaire", 50), ("Standard", 100), ("Soutien", 130)]

    solidaire = offer.tiers[0]
    client.post(f"{base(offer)}/tarifs/{solidaire.id}", data={"name": "Solidaire", "percent": "40"})
    assert tiers(offer)[0] == ("Solidaire", 40)

    response = client.post(f"{base(offer)}/tarifs/{solidaire.id}/retirer", follow_redirects=True)
    assert "Tarif retiré." in page_text(response)
    assert tiers(offer) == [("Standard", 100), ("Soutien", 130)]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Zéro", "percent": "0"}, "Le pourcentage doit être compris entre 1 et 300."),
        ({"name": "Trop", "percent": "400"}, "Le pourcentage doit être compris entre 1 et 300."),
        ({"name": "Texte", "percent": "beaucoup"}, "N'est pas un entier valide."),
        ({"name": "Autre", "percent": "100"}, "Le contrat a déjà un tarif à 100 %"),
        ({"name": "standard", "percent": "110"}, "Ce contrat a déjà un tarif « standard »."),
        ({"name": "x" * 61, "percent": "80"}, "60 caractères au maximum."),
    ],
)
def test_bad_tiers_are_refused(client, offer, coordinator, form, message):
    response = client.post(f"{base(offer)}/tarifs/nouveau", data=form)

    assert response.status_code == 200
    assert message in page_text(response)
    assert tiers(offer) == [("Solidaire", 50), ("Standard", 100)]


def test_the_only_100_percent_tier_stays(client, offer, coordinator):
    standard = offer.tiers[1]

    response = client.post(f"{base(offer)}/tarifs/{standard.id}/retirer", follow_redirects=True)
    assert "il ne peut pas être retiré" in page_text(response)

    response = client.post(
        f"{base(offer)}/tarifs/{standard.id}", data={"name": "Standard", "percent": "90"}
    )
    assert "Le contrat doit garder un tarif à 100 %" in page_text(response)
    assert tiers(offer) == [("Solidaire", 50), ("Standard", 100)]


def test_a_subscribed_tier_keeps_its_percent_and_cannot_be_removed(client, offer, coordinator):
    solidaire = offer.tiers[0]
    factories.SubscriptionFactory(offer=offer, tier=solidaire, tier_status="pending")
    db.session.commit()

    response = client.post(
        f"{base(offer)}/tarifs/{solidaire.id}", data={"name": "Solidaire", "percent": "30"}
    )
    assert "son pourcentage ne peut plus changer" in page_text(response)
    response = client.post(f"{base(offer)}/tarifs/{solidaire.id}/retirer", follow_redirects=True)
    assert "il ne peut pas être retiré" in page_text(response)
    assert tiers(offer) == [("Solidaire", 50), ("Standard", 100)]


def test_publishing_needs_a_size(client, offer, coordinator):
    response = client.post(f"{base(offer)}/publier", follow_redirects=True)

    assert "Ajoutez au moins une taille de panier avant de publier." in page_text(response)
    db.session.expire_all()
    assert offer.status == "draft"


def test_publishing_needs_the_100_percent_tier(client, offer, coordinator):
    factories.BasketSizeFactory(offer=offer)
    db.session.delete(offer.tiers[1])
    db.session.commit()

    response = client.post(f"{base(offer)}/publier", follow_redirects=True)

    assert "Le contrat doit avoir un tarif à 100 % avant d'être publié." in page_text(response)
    db.session.expire_all()
    assert offer.status == "draft"


def test_a_complete_offer_is_published_then_archived(client, offer, coordinator):
    factories.BasketSizeFactory(offer=offer)
    db.session.commit()

    response = client.post(f"{base(offer)}/publier", follow_redirects=True)
    assert "Contrat publié." in page_text(response)
    db.session.expire_all()
    assert offer.status == "published"
    assert "Publier le contrat" not in page_text(response)

    response = client.post(f"{base(offer)}/archiver", follow_redirects=True)
    assert "Contrat archivé." in page_text(response)
    db.session.expire_all()
    assert offer.status == "archived"

    response = client.post(
        f"{base(offer)}/tarifs/nouveau", data={"name": "Soutien", "percent": "120"}
    )
    assert "Ce contrat est archivé" in page_text(response)
    assert len(tiers(offer)) == 2


def test_a_published_offer_keeps_at_least_one_size(client, offer, coordinator):
    size = factories.BasketSizeFactory(offer=offer)
    offer.status = "published"
    db.session.commit()

    response = client.post(f"{base(offer)}/tailles/{size.id}/retirer", follow_redirects=True)

    assert "Un contrat publié garde au moins une taille de panier." in page_text(response)
    assert len(sizes(offer)) == 1


def test_sizes_and_tiers_of_another_offer_are_not_found(client, offer, coordinator):
    other_size = factories.BasketSizeFactory()
    other_tier = factories.PriceTierFactory(percent=50)
    db.session.commit()

    assert client.get(f"{base(offer)}/tailles/{other_size.id}").status_code == 404
    assert client.post(f"{base(offer)}/tarifs/{other_tier.id}/retirer").status_code == 404
    assert db.session.get(PriceTier, other_tier.id) is not None
