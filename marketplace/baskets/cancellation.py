"""Cancelling a subscription (résiliation) as the offer's policy says, or by a coordinator.

The deliveries of days starting after the notice period are no longer due: they are credited
in ONE ledger entry, the unpaid installments are reduced by the same amount from the last one
backwards, and those delivery rows are deleted. Deliveries within the notice stay due.

Installments still due then add up to what stays due, unless the installments already paid
exceed it: paid ones are never touched, and the contract's excess (its own ledger, positive)
becomes the household's credit (payments/credits.py), shown on its statement until a
coordinator refunds it or carries it to another contract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from marketplace.baskets.installments import lower_unpaid_installments
from marketplace.baskets.models import (
    BasketOffer,
    CancellationPolicy,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.credits import open_credit_if_overpaid
from marketplace.payments.entry_words import words
from marketplace.payments.fund import withdraw_donation
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.timezones import paris_today


@dataclass(frozen=True)
class CancellationPlan:
    """What a cancellation at `now` would change, computed without saving anything."""

    subscription: Subscription
    dropped: list[Delivery]  # planned deliveries after the notice period (deleted once done)
    kept_count: int  # deliveries still due or already past
    notice_ends_at: datetime
    basket_credit_cents: int  # the dropped baskets' price
    donation_cents: int  # the per-delivery gift pledged for the dropped days
    # Paid beyond what stays due, once cancelled: the household's credit (HouseholdCredit).
    overpaid_cents: int = 0

    @property
    def credit_cents(self) -> int:
        """Everything the household no longer owes."""
        return self.basket_credit_cents + self.donation_cents


def household_may_cancel(subscription: Subscription) -> bool:
    return (
        subscription.status == SubscriptionStatus.ACTIVE.value
        and subscription.offer.cancellation_policy == CancellationPolicy.WITH_NOTICE.value
    )


def cancellation_plan(subscription: Subscription, now: datetime) -> CancellationPlan:
    notice_ends_at = now + timedelta(days=subscription.offer.notice_days)
    deliveries = db.session.scalars(
        select(Delivery)
        .join(Delivery.distribution_day)
        .where(Delivery.subscription_id == subscription.id)
        .options(joinedload(Delivery.distribution_day))
        .order_by(DistributionDay.day, Delivery.id)
    ).all()
    dropped = [
        delivery
        for delivery in deliveries
        if delivery.state == DeliveryState.PLANNED.value
        and delivery.distribution_day.starts_at > notice_ends_at
    ]
    return CancellationPlan(
        subscription,
        dropped,
        len(deliveries) - len(dropped),
        notice_ends_at,
        # A delivery carrying a postponed basket (quantity 2) drops both baskets.
        basket_credit_cents=sum(delivery.price_cents * delivery.quantity for delivery in dropped),
        # The gift was pledged once per delivery day, whatever the quantity.
        donation_cents=subscription.donation_per_delivery_cents * len(dropped),
    )


def cancel_by_household(subscription: Subscription, now: datetime) -> CancellationPlan:
    """The household ends its contract with notice; refused under a season commitment."""
    if subscription.offer.cancellation_policy != CancellationPolicy.WITH_NOTICE.value:
        raise DomainError(
            _(
                "Ce contrat vous engage pour toute la saison : pour l'arrêter, "
                "contactez les coordinateur·rices du groupe."
            )
        )
    return _cancel(subscription, now)


def cancel_by_coordinator(subscription: Subscription, now: datetime) -> CancellationPlan:
    """A coordinator's decision: allowed whatever the offer's policy, with the same notice."""
    return _cancel(subscription, now)


def _cancel(subscription: Subscription, now: datetime) -> CancellationPlan:
    # The conditional update is the guard against two cancellations at once: only one flips it.
    result = db.session.execute(
        update(Subscription)
        .where(
            Subscription.id == subscription.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
        .values(status=SubscriptionStatus.CANCELLED.value, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(_("Ce contrat est déjà résilié."))
    db.session.refresh(subscription, ["status", "cancelled_at"])

    plan = cancellation_plan(subscription, now)
    credit = plan.basket_credit_cents
    if credit > 0:
        book_entry(
            user_id=subscription.user_id,
            group_id=subscription.group_id,
            kind=EntryKind.CREDIT,
            amount_cents=credit,
            occurred_on=paris_today(now),
            **words("cancellation", num=len(plan.dropped)).fields(),
            offer_id=subscription.offer_id,
            subscription_id=subscription.id,
        )
    if plan.donation_cents > 0:
        withdraw_donation(
            subscription.group_id,
            subscription.user_id,
            plan.donation_cents,
            paris_today(now),
            words("donation_withdrawn"),
            subscription_id=subscription.id,
        )
    if plan.credit_cents > 0:
        lower_unpaid_installments(subscription.id, plan.credit_cents)
    if plan.dropped:
        dropped_ids = [delivery.id for delivery in plan.dropped]
        # An absence postponed to a dropped day is not delivered either: its basket is in the
        # credit (the dropped delivery's quantity), so it simply loses its later date.
        db.session.execute(
            update(Delivery)
            .where(Delivery.postponed_to_id.in_(dropped_ids))
            .values(postponed_to_id=None)
            .execution_options(synchronize_session=False)
        )
        # Nothing hangs on a planned delivery of a day that has not started (no pickup
        # checklist tick, no gift, no absence): deleting the rows leaves no history behind.
        db.session.execute(
            delete(Delivery)
            .where(Delivery.id.in_(dropped_ids))
            .execution_options(synchronize_session=False)
        )
        for delivery in plan.dropped:
            db.session.expunge(delivery)
        db.session.expire(subscription, ["deliveries"])
    db.session.flush()
    credit = open_credit_if_overpaid(
        subscription_id=subscription.id,
        user_id=subscription.user_id,
        group_id=subscription.group_id,
        offer_name=subscription.offer.name,
        on=paris_today(now),
    )
    return replace(plan, overpaid_cents=credit.amount_cents) if credit else plan


def subscription_in_group(group_id: int, subscription_id: int) -> Subscription | None:
    return db.session.scalar(
        select(Subscription)
        .where(Subscription.id == subscription_id, Subscription.group_id == group_id)
        .options(
            joinedload(Subscription.offer).joinedload(BasketOffer.producer),
            joinedload(Subscription.user),
            joinedload(Subscription.size),
        )
    )
