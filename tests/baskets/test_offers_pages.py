"""Who reads offers: everyone the published ones of a group, producer staff their farm's,
coordinators the group's list; others are refused. Listing pages keep a fixed query count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def complete_offer(supply=None, **fields):
    offer = factories.BasketOfferFactory(**({"supply": supply} if supply else {}), **fields)
    factories.BasketSizeFactory(offer=offer, name="Petit panier", price_cents=1250, position=0)
    factories.BasketSizeFactory(offer=offer, name="Grand panier", price_cents=2100, position=1)
    for position, (name, percent) in enumerate([("Solidaire", 50), ("Standard", 100)]):
        factories.PriceTierFactory(offer=offer, name=name, percent=percent, position=position)
    return offer


@pytest.fixture
def supply():
    supply = factories.ProducerSuppliesGroupFactory(
        group__slug="tilleuls", group__name="AMAP des Tilleuls", producer__slug="combes"
    )
    db.session.commit()
    return supply


@pytest.fixture
def offer(supply):
    offer = complete_offer(supply, name="Légumes d'été")
    db.session.commit()
    return offer


# --- Public pages ------------------------------------------------------------------------------


def test_visitors_see_published_offers_with_sizes_prices_and_tiers(client, supply, offer):
    complete_offer(supply, name="Brouillon secret", status="draft")
    complete_offer(supply, name="Ancien contrat", status="archived")
    complete_offer(name="Contrat d'un autre groupe")
    db.session.commit()

    response = client.get("/groupes/tilleuls/offres")

    assert response.status_code == 200
    text = page_text(response)
    assert "Légumes d'été" in text and supply.producer.name in text
    assert "Petit panier" in text and "12,50\xa0€" in text and "21,00\xa0€" in text
    assert "Solidaire : 50 %" in text and "Standard : 100 %" in text
    assert "Chaque semaine" in text and "Inscriptions ouvertes" in text
    assert "Brouillon secret" not in text and "Ancien contrat" not in text
    assert "Contrat d'un autre groupe" not in text


def test_a_group_without_published_offers_says_so(client, supply):
    assert "Ce groupe ne propose aucun contrat pour l'instant." in page_text(
        client.get("/groupes/tilleuls/offres")
    )


def test_the_offer_page_invites_logged_in_people_to_subscribe_while_sign_up_is_open(
    client, offer, login
):
    url = f"/groupes/tilleuls/offres/{offer.id}"
    text = page_text(client.get(url))
    assert "Légumes d'été" in text and "Connectez-vous pour vous abonner." in text
    assert "/souscrire" not in text
    assert "2 absences au plus par saison" in text and "Crédité" in text

    login(factories.UserFactory())
    db.session.commit()
    as_new_request()
    text = page_text(client.get(url))
    assert "/souscrire" in text


def test_no_subscribe_link_outside_the_sign_up_window(client, offer, login):
    offer.signup_closes_at = datetime.now(UTC) - timedelta(days=1)
    offer.signup_opens_at = datetime.now(UTC) - timedelta(days=10)
    login(factories.UserFactory())
    db.session.commit()

    text = page_text(client.get(f"/groupes/tilleuls/offres/{offer.id}"))

    assert "Les inscriptions ne sont pas ouvertes en ce moment." in text
    assert "/souscrire" not in text


def test_drafts_are_private_but_coordinators_may_preview_them(
    client, supply, user_with_role, login
):
    draft = complete_offer(supply, status="draft")
    db.session.commit()
    url = f"/groupes/tilleuls/offres/{draft.id}"

    assert client.get(url).status_code == 404
    user_with_role("member", supply.group)
    as_new_request()
    assert client.get(url).status_code == 404

    user_with_role("coordinator", supply.group)
    as_new_request()
    text = page_text(client.get(url))
    assert "Aperçu réservé aux coordinateur·rices" in text
    assert "/souscrire" not in text


def test_an_offer_is_only_found_under_its_own_group(client, offer):
    other = factories.GroupFactory(slug="voisins")
    db.session.commit()
    assert client.get(f"/groupes/voisins/offres/{offer.id}").status_code == 404
    assert client.get("/groupes/inconnu/offres").status_code == 404
    assert other.id


# --- Producer staff ----------------------------------------------------------------------------


def test_producer_staff_read_their_farm_offers_in_every_group(
    client, supply, offer, user_with_role
):
    elsewhere = factories.ProducerSuppliesGroupFactory(
        producer=supply.producer, group__name="AMAP du Plateau"
    )
    complete_offer(elsewhere, name="Légumes du plateau", status="draft")
    complete_offer(name="Contrat d'une autre ferme")
    user_with_role("producer_staff", supply.producer)

    text = page_text(client.get("/producteurs/combes/offres"))

    assert "Légumes d'été" in text and "AMAP des Tilleuls" in text
    assert "Légumes du plateau" in text and "AMAP du Plateau" in text and "Brouillon" in text
    assert "Contrat d'une autre ferme" not in text
    assert "Petit panier" in text and "Solidaire : 50 %" in text
    # Read-only: no editing form or action.
    assert "<form" not in text.split('id="contenu"')[1]


def test_producer_staff_of_another_farm_are_refused(client, offer, user_with_role):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get("/producteurs/combes/offres").status_code == 403


def test_visitors_are_sent_to_log_in_for_the_producer_list(client, offer):
    response = client.get("/producteurs/combes/offres")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


# --- Coordinators' screens: permissions --------------------------------------------------------


def manage_urls(offer) -> list[tuple[str, str]]:
    base = f"/groupes/tilleuls/gestion/offres/{offer.id}"
    size, tier = offer.sizes[0], offer.tiers[0]
    return [
        ("get", "/groupes/tilleuls/gestion/offres"),
        ("get", "/groupes/tilleuls/gestion/offres/nouveau"),
        ("post", "/groupes/tilleuls/gestion/offres/nouveau"),
        ("get", base),
        ("post", base),
        ("post", f"{base}/publier"),
        ("post", f"{base}/archiver"),
        ("get", f"{base}/tailles/nouveau"),
        ("post", f"{base}/tailles/nouveau"),
        ("get", f"{base}/tailles/{size.id}"),
        ("post", f"{base}/tailles/{size.id}/retirer"),
        ("get", f"{base}/tarifs/nouveau"),
        ("get", f"{base}/tarifs/{tier.id}"),
        ("post", f"{base}/tarifs/{tier.id}/retirer"),
    ]


def request_all(client, offer) -> set[int]:
    urls = manage_urls(offer)
    return {getattr(client, method)(url).status_code for method, url in urls}


@pytest.mark.parametrize("role", ["member", "volunteer"])
def test_members_and_volunteers_cannot_manage_offers(client, offer, user_with_role, role):
    user_with_role(role, offer.group)
    assert request_all(client, offer) == {403}
    db.session.expire_all()
    assert offer.status == "published" and len(offer.sizes) == 2 and len(offer.tiers) == 2


def test_producer_staff_cannot_manage_offers(client, offer, user_with_role):
    user_with_role("producer_staff", offer.producer)
    assert request_all(client, offer) == {403}


def test_a_coordinator_of_another_group_is_refused(client, offer, user_with_role):
    user_with_role("coordinator", factories.GroupFactory())
    assert request_all(client, offer) == {403}
    db.session.expire_all()
    assert offer.status == "published"


def test_visitors_are_sent_to_log_in(client, offer):
    statuses = {getattr(client, method)(url).status_code for method, url in manage_urls(offer)}
    assert statuses == {302}


def test_site_admins_manage_any_group_offers(client, offer, admin):
    assert client.get("/groupes/tilleuls/gestion/offres").status_code == 200
    assert client.get(f"/groupes/tilleuls/gestion/offres/{offer.id}").status_code == 200


def test_the_coordinator_list_shows_every_offer_with_its_state(
    client, supply, offer, user_with_role
):
    complete_offer(supply, name="Œufs d'hiver", status="draft")
    user_with_role("coordinator", supply.group)

    text = page_text(client.get("/groupes/tilleuls/gestion/offres"))

    assert "Œufs d'hiver" in text and "Légumes d'été" in text
    assert text.index("Œufs d'hiver") < text.index("Légumes d'été")  # drafts first
    assert "Brouillon" in text and "Publié" in text and "12,50\xa0€" in text


# --- Query counts ------------------------------------------------------------------------------


def queries_for(client, url: str, supply, how_many: int) -> int:
    for _ in range(how_many):
        complete_offer(supply)
    db.session.commit()
    as_new_request()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize(
    ("url", "role", "organisation"),
    [
        ("/groupes/tilleuls/gestion/offres", "coordinator", "group"),
        ("/groupes/tilleuls/offres", "member", "group"),
        ("/producteurs/combes/offres", "producer_staff", "producer"),
    ],
)
def test_listing_pages_run_the_same_queries_for_2_or_20_offers(
    client, supply, user_with_role, url, role, organisation
):
    user_with_role(role, getattr(supply, organisation))
    few = queries_for(client, url, supply, 2)
    many = queries_for(client, url, supply, 18)
    assert few == many
    assert many <= 10
