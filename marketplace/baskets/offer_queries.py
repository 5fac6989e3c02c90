"""Reading basket offers: a group's, a producer's, the published ones, and what is in use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.baskets.models import BasketOffer, OfferStatus, Subscription
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.producers.models import Producer, ProducerSuppliesGroup


def _with_contents(statement):
    """Producer, sizes and tiers loaded in a fixed number of queries, however many offers."""
    return statement.options(
        joinedload(BasketOffer.producer),
        selectinload(BasketOffer.sizes),
        selectinload(BasketOffer.tiers),
    )


def offers_of_group(group: Group) -> list[BasketOffer]:
    """Every offer of the group for coordinators: drafts, then published, then archived."""
    status_rank = case(
        (BasketOffer.status == OfferStatus.DRAFT.value, 0),
        (BasketOffer.status == OfferStatus.PUBLISHED.value, 1),
        else_=2,
    )
    return list(
        db.session.scalars(
            _with_contents(select(BasketOffer).where(BasketOffer.group_id == group.id)).order_by(
                status_rank, BasketOffer.season_starts_on.desc(), BasketOffer.name
            )
        )
    )


def published_offers(group: Group) -> list[BasketOffer]:
    """The offers members and visitors see, soonest season first."""
    return list(
        db.session.scalars(
            _with_contents(
                select(BasketOffer).where(
                    BasketOffer.group_id == group.id,
                    BasketOffer.status == OfferStatus.PUBLISHED.value,
                )
            ).order_by(BasketOffer.season_starts_on, BasketOffer.name)
        )
    )


def offers_of_producer(producer: Producer) -> list[BasketOffer]:
    """A farm's offers in every group it supplies, with their group, sizes and tiers."""
    return list(
        db.session.scalars(
            _with_contents(select(BasketOffer).where(BasketOffer.producer_id == producer.id))
            .options(joinedload(BasketOffer.group))
            .order_by(BasketOffer.season_starts_on.desc(), BasketOffer.name)
        )
    )


def offer_in_group(group: Group, offer_id: int) -> BasketOffer | None:
    return db.session.scalar(
        _with_contents(
            select(BasketOffer).where(BasketOffer.id == offer_id, BasketOffer.group_id == group.id)
        )
    )


def supplying_producers(group: Group) -> list[Producer]:
    return list(
        db.session.scalars(
            select(Producer)
            .join(ProducerSuppliesGroup, ProducerSuppliesGroup.producer_id == Producer.id)
            .where(ProducerSuppliesGroup.group_id == group.id)
            .order_by(Producer.name)
        )
    )


def is_signup_open(offer: BasketOffer, now: datetime) -> bool:
    return (
        offer.status == OfferStatus.PUBLISHED.value
        and offer.signup_opens_at <= now < offer.signup_closes_at
    )


def has_subscriptions(offer: BasketOffer) -> bool:
    found = db.session.scalar(
        select(Subscription.id).where(Subscription.offer_id == offer.id).limit(1)
    )
    return found is not None


def used_size_ids(offer: BasketOffer) -> set[int]:
    """Sizes some subscription (even cancelled: its history points at it) was signed for."""
    return set(
        db.session.scalars(
            select(Subscription.size_id).where(Subscription.offer_id == offer.id).distinct()
        )
    )


def used_tier_ids(offer: BasketOffer) -> set[int]:
    return set(
        db.session.scalars(
            select(Subscription.tier_id).where(Subscription.offer_id == offer.id).distinct()
        )
    )
