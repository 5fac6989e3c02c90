"""Renewal: an offer may renew a previous season's offer of the same group and producer.

Its subscribers are invited once, when the new offer is published (publishing happens once:
draft → published under the offer's lock, never back), and the sign-up page can be pre-filled
with their previous choices, matched by name since sizes and tiers are the new offer's own.
"""

from __future__ import annotations

import logging

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.mail import absolute_url, send_email

logger = logging.getLogger(__name__)


def renewable_offers(group: Group, offer: BasketOffer | None) -> list[BasketOffer]:
    """The group's offers a (new or edited) offer could renew, newest season first."""
    query = (
        select(BasketOffer)
        .where(BasketOffer.group_id == group.id)
        .options(joinedload(BasketOffer.producer))
        .order_by(BasketOffer.season_starts_on.desc(), BasketOffer.name)
    )
    if offer is not None and offer.id is not None:
        query = query.where(BasketOffer.id != offer.id)
    return list(db.session.scalars(query))


def check_previous_offer(
    group: Group, producer_id: int | None, previous_offer_id: int | None, offer_id: int | None
) -> None:
    """The renewed offer must be another offer of the same group with the same producer."""
    if previous_offer_id is None:
        return
    previous = db.session.get(BasketOffer, previous_offer_id)
    if (
        previous is None
        or previous.group_id != group.id
        or previous.id == offer_id
        # Two offers renewing each other would be a loop, not a succession of seasons.
        or (offer_id is not None and previous.previous_offer_id == offer_id)
    ):
        raise DomainError(
            _("Choisissez un contrat de ce groupe à renouveler."), field="previous_offer_id"
        )
    if previous.producer_id != producer_id:
        raise DomainError(
            _("Le contrat renouvelé doit être avec le ou la même producteur·rice."),
            field="previous_offer_id",
        )


def previous_subscription(offer: BasketOffer, user: User) -> Subscription | None:
    """The household's active subscription to the offer this one renews, if any."""
    if offer.previous_offer_id is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Subscription)
        .where(
            Subscription.offer_id == offer.previous_offer_id,
            Subscription.user_id == user.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
        .options(
            joinedload(Subscription.size),
            joinedload(Subscription.tier),
        )
    )


def prefill(offer: BasketOffer, user: User) -> dict[str, int | str]:
    """The previous season's choices that still exist in this offer (names matched without
    regard to case); what is missing is left for the household to choose."""
    previous = previous_subscription(offer, user)
    if previous is None:
        return {}
    choices: dict[str, int | str] = {}
    size = _by_name(offer.sizes, previous.size.name)
    if size is not None:
        choices["size_id"] = size.id
    tier = _by_name(offer.tiers, previous.tier.name)
    if tier is not None:
        choices["tier_id"] = tier.id
    # Pickup points belong to the group, shared by both seasons.
    choices["pickup_point_id"] = previous.pickup_point_id
    if previous.payment_plan in offer.allowed_plans:
        choices["plan"] = previous.payment_plan
    if previous.payment_method in offer.allowed_methods:
        choices["method"] = previous.payment_method
    return choices


def _by_name(items, name: str):
    wanted = name.strip().casefold()
    return next((item for item in items if item.name.strip().casefold() == wanted), None)


def invitees(offer: BasketOffer) -> list[Subscription]:
    """The active subscribers of the renewed offer, to invite."""
    if offer.previous_offer_id is None or offer.status != OfferStatus.PUBLISHED.value:
        return []
    return list(
        db.session.scalars(
            select(Subscription)
            .where(
                Subscription.offer_id == offer.previous_offer_id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
            .options(joinedload(Subscription.user))
            .order_by(Subscription.id)
        )
    )


def send_invitations(offer: BasketOffer) -> int:
    """Email each subscriber of the previous season, queued in the outbox with the
    publication: publication happens once, so each household is invited once."""
    sent = 0
    link = absolute_url("offers.detail", slug=offer.group.slug, offer_id=offer.id)
    for subscription in invitees(offer):
        user = subscription.user
        with force_locale(user.language):
            send_email(
                user.email,
                _("Renouvelez votre contrat : %(offer)s", offer=offer.name),
                "email/renewal_invitation",
                user=user,
                offer=offer,
                link=link,
            )
        sent += 1
    return sent
