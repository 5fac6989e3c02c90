"""Renewal: the offer form's policy and "renews" fields, the invitation sent once on
publication, and the sign-up page pre-filled with last season's choices."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import BasketOffer
from marketplace.db import utcnow
from marketplace.extensions import db
from tests import factories
from tests.baskets.test_offers_manage import offer_form
from tests.baskets.test_subscribing import build_scenario
from tests.organisations.pages import page_text


@pytest.fixture
def seasons(app):
    """Last season's offer with a subscriber (Grand, Soutien, monthly, transfer), and this
    season's draft renewing it with sizes and tiers partly renamed."""
    old = build_scenario(utcnow())
    old.offer.method_transfer = True
    from marketplace.baskets.subscribing import subscribe

    previous = subscribe(
        old.offer, old.member, old.large, old.point, old.soutien, "monthly", "transfer", utcnow()
    )
    new = factories.BasketOfferFactory(
        group=old.offer.group,
        producer=old.offer.producer,
        supply=None,
        status="draft",
        previous_offer_id=old.offer.id,
        method_transfer=True,
    )
    grand = factories.BasketSizeFactory(offer=new, name="grand", price_cents=2700)
    factories.BasketSizeFactory(offer=new, name="Moyen", price_cents=2000)
    factories.PriceTierFactory(offer=new, name="Standard", percent=100)
    factories.PriceTierFactory(offer=new, name="Solidaire", percent=50)
    db.session.commit()
    return old, previous, new, grand


def test_publishing_a_renewal_invites_last_season_subscribers_once(
    seasons, client, user_with_role, outbox
):
    old, _previous, new, _grand = seasons
    user_with_role("coordinator", new.group)
    url = f"/groupes/{new.group.slug}/gestion/offres/{new.id}/publier"

    client.post(url)
    client.post(url)  # a second click: already published, refused

    assert [message["To"] for message in outbox] == [old.member.email]
    assert "Renouvelez votre contrat" in outbox[0]["Subject"]
    db.session.expire_all()
    assert db.session.get(BasketOffer, new.id).status == "published"


def test_the_offer_page_proposes_renewing_with_the_same_choices(seasons, client, login):
    old, _previous, new, grand = seasons
    new.status = "published"
    db.session.commit()
    login(old.member)

    page = page_text(client.get(f"/groupes/{new.group.slug}/offres/{new.id}"))
    assert "Renouveler avec les mêmes choix" in page

    page = page_text(client.get(f"/offres/{new.id}/souscrire?renew=1"))

    def checked(name: str) -> str | None:
        match = re.search(
            rf'<input checked id="{name}-\d+" name="{name}"[^>]* value="([^"]+)"', page
        )
        return match.group(1) if match else None

    assert checked("size_id") == str(grand.id)  # "Grand" matched without regard to case
    # "Soutien" does not exist any more: the usual default (the standard price) is proposed.
    standard = next(tier for tier in new.tiers if tier.name == "Standard")
    assert checked("tier_id") == str(standard.id)
    assert checked("plan") == "monthly"
    assert checked("method") == "transfer"
    assert re.search(rf'<option selected value="{old.point.id}">', page)


def test_someone_who_was_not_subscribed_sees_no_renewal(seasons, client, login):
    _old, _previous, new, _grand = seasons
    new.status = "published"
    other = factories.UserFactory()
    factories.MembershipFactory(user=other, organisation=new.group, role="member")
    db.session.commit()
    login(other)
    page = page_text(client.get(f"/groupes/{new.group.slug}/offres/{new.id}"))
    assert "Renouveler avec les mêmes choix" not in page
    page = page_text(client.get(f"/offres/{new.id}/souscrire?renew=1"))
    assert not re.search(r'<input checked id="size_id-', page)  # two sizes: nothing chosen


@pytest.fixture
def group_with_offer(app, user_with_role):
    group = factories.GroupFactory(slug="tilleuls")
    farm = factories.ProducerFactory(name="Ferme des Combes")
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    previous = factories.BasketOfferFactory(group=group, producer=farm, supply=None)
    db.session.commit()
    user_with_role("coordinator", group)
    return group, farm, previous


def test_the_offer_form_saves_policy_notice_and_previous_offer(group_with_offer, client):
    group, farm, previous = group_with_offer
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau",
        data=offer_form(
            farm,
            cancellation_policy="with_notice",
            notice_days="21",
            previous_offer_id=str(previous.id),
        ),
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(BasketOffer).where(BasketOffer.id != previous.id))
    assert (offer.cancellation_policy, offer.notice_days, offer.previous_offer_id) == (
        "with_notice",
        21,
        previous.id,
    )


def offer_count() -> int:
    return db.session.scalar(select(func.count(BasketOffer.id)))


def test_a_previous_offer_of_another_group_is_refused(group_with_offer, client):
    group, farm, _previous = group_with_offer
    foreign = factories.BasketOfferFactory()
    db.session.commit()
    before = offer_count()
    page = page_text(
        client.post(
            "/groupes/tilleuls/gestion/offres/nouveau",
            data=offer_form(farm, previous_offer_id=str(foreign.id)),
        )
    )
    assert "Choisissez un contrat de ce groupe à renouveler." in page
    assert offer_count() == before


def test_a_previous_offer_with_another_producer_is_refused(group_with_offer, client):
    group, farm, _previous = group_with_offer
    other_farm = factories.ProducerFactory()
    supply = factories.ProducerSuppliesGroupFactory(group=group, producer=other_farm)
    theirs = factories.BasketOfferFactory(group=group, producer=other_farm, supply=supply)
    db.session.commit()
    before = offer_count()
    page = page_text(
        client.post(
            "/groupes/tilleuls/gestion/offres/nouveau",
            data=offer_form(farm, previous_offer_id=str(theirs.id)),
        )
    )
    assert "Le contrat renouvelé doit être avec le ou la même producteur·rice." in page
    assert offer_count() == before


def test_negative_notice_days_are_refused(group_with_offer, client):
    _group, farm, _previous = group_with_offer
    before = offer_count()
    page = page_text(
        client.post(
            "/groupes/tilleuls/gestion/offres/nouveau",
            data=offer_form(farm, cancellation_policy="with_notice", notice_days="-3"),
        )
    )
    assert "Entre 0 et 365 jours." in page
    assert offer_count() == before


def test_an_unknown_cancellation_policy_is_refused(group_with_offer, client):
    _group, farm, _previous = group_with_offer
    before = offer_count()
    page = page_text(
        client.post(
            "/groupes/tilleuls/gestion/offres/nouveau",
            data=offer_form(farm, cancellation_policy="whenever"),
        )
    )
    assert "Choisissez comment le contrat peut être résilié." in page
    assert offer_count() == before
