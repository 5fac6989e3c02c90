"""The demo's association life: baskets of the week announced for the next days of each
published contract, a few documents of a group, and a map of places with their coordinates."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.baskets.models import BasketOffer, Delivery, OfferStatus, Subscription
from marketplace.catalogue.week_baskets import coming_days
from marketplace.catalogue.week_models import WeekBasket
from marketplace.demo.seed import seed_demo_territory
from marketplace.documents import files
from marketplace.documents.models import GroupDocument
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests.helpers import login_id


def test_the_demo_announces_baskets_has_documents_and_a_map(app, client):
    today = paris_today()
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()
    assert seed_demo_territory(today, horizon_weeks=8).created == 0  # idempotent
    db.session.commit()

    published = db.session.scalars(
        select(BasketOffer).where(BasketOffer.status == OfferStatus.PUBLISHED.value)
    ).all()
    assert published
    for offer in published:
        next_days = [day.id for day in coming_days(offer, today)[:2]]
        announced = set(
            db.session.scalars(
                select(WeekBasket.distribution_day_id).where(WeekBasket.offer_id == offer.id)
            )
        )
        assert set(next_days) <= announced, offer.name
        for basket in db.session.scalars(select(WeekBasket).where(WeekBasket.offer_id == offer.id)):
            assert {item.size_id for item in basket.items} == {size.id for size in offer.sizes}

    documents = db.session.scalars(select(GroupDocument)).all()
    assert {document.audience for document in documents} == {"public", "members", "subscribers"}
    for document in documents:
        assert files.sniff(document.data).value == document.content_type == "application/pdf"
    public = next(document for document in documents if document.audience == "public")
    assert client.get(f"/documents/{public.id}").status_code == 200

    # A household with a basket on an announced day sees what it holds.
    delivery = db.session.scalar(
        select(Delivery)
        .join(WeekBasket, WeekBasket.distribution_day_id == Delivery.distribution_day_id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(WeekBasket.offer_id == Subscription.offer_id, Delivery.state == "planned")
        .order_by(Delivery.distribution_day_id)
        .limit(1)
    )
    assert delivery is not None
    with client.session_transaction() as session:
        session["_user_id"] = login_id(delivery.subscription.user)
    assert "week-basket-items" in client.get("/tableau-de-bord").text
    with client.session_transaction() as session:
        session.clear()

    page = client.get("/carte").text
    assert len(re.findall(r"data-lat=\"4\d\.\d+\"", page)) >= 10
    assert "Lieux de distribution" in page and "Fermes" in page
    assert "Arrêts de l" in page
