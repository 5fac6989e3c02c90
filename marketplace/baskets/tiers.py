"""Solidarity tiers: a coordinator grants or refuses, privately, a household's reduced price.

A reduced tier is recorded "pending" at sign-up and the standard price is charged meanwhile.
Approving it re-prices the deliveries still to come, lowers the unpaid installments by the
same amount, credits the household and draws that amount from the group's solidarity fund,
which must cover it. Services flush and never commit: the view commits, or rolls back on a
DomainError. Only coordinators (and the household itself) ever see a household's tier.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.baskets.installments import lower_unpaid_installments, paying_online
from marketplace.baskets.models import (
    BasketOffer,
    Delivery,
    DeliveryState,
    PriceTier,
    Subscription,
    SubscriptionStatus,
    TierStatus,
)
from marketplace.baskets.schedule import tier_price_cents
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.mail import absolute_url, send_email
from marketplace.payments.entry_words import words
from marketplace.payments.fund import (
    fund_balance_cents,
    lock_fund,
    record_group_share,
    record_tier_support,
)
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.payments.money import format_money
from marketplace.timezones import paris_today

RECENT_DECISIONS = 20


@dataclass(frozen=True)
class TierRequest:
    """A pending request, with what granting it would cost the fund."""

    subscription: Subscription
    remaining_baskets: int  # planned baskets whose day has not started
    difference_cents: int  # what the household would no longer pay, drawn from the fund

    @property
    def requested_price_cents(self) -> int:
        return tier_price_cents(self.subscription.size.price_cents, self.subscription.tier.percent)


@dataclass(frozen=True)
class TierDecision:
    subscription: Subscription
    approved: bool
    difference_cents: int = 0
    price_cents: int | None = None  # the new price per basket, once approved


# --- Reading -------------------------------------------------------------------------------------


def _requests_query(group: Group):
    return (
        select(Subscription)
        .join(Subscription.tier)
        .where(
            Subscription.group_id == group.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            PriceTier.percent < 100,
        )
        .options(
            joinedload(Subscription.user),
            joinedload(Subscription.offer),
            joinedload(Subscription.size),
            joinedload(Subscription.tier),
        )
    )


def pending_requests(group: Group, now: datetime) -> list[TierRequest]:
    """The group's pending requests, oldest first, with their cost (two queries in all)."""
    subscriptions = list(
        db.session.scalars(
            _requests_query(group)
            .where(Subscription.tier_status == TierStatus.PENDING.value)
            .order_by(Subscription.created_at, Subscription.id)
        )
    )
    remaining = _remaining_deliveries([item.id for item in subscriptions], now)
    requests = []
    for subscription in subscriptions:
        deliveries = remaining.get(subscription.id, [])
        requests.append(
            TierRequest(
                subscription=subscription,
                remaining_baskets=sum(quantity for _delivery, _price, quantity in deliveries),
                difference_cents=_difference(deliveries, subscription.tier.percent),
            )
        )
    return requests


def recent_decisions(group: Group) -> list[Subscription]:
    """The latest reduced tiers granted or refused in the group (one query)."""
    return list(
        db.session.scalars(
            _requests_query(group)
            .where(
                Subscription.tier_status.in_([TierStatus.APPROVED.value, TierStatus.REFUSED.value])
            )
            .order_by(Subscription.id.desc())
            .limit(RECENT_DECISIONS)
        )
    )


def _remaining_deliveries(
    subscription_ids: list[int], now: datetime, *, lock: bool = False
) -> dict[int, list[tuple[Delivery, int, int]]]:
    """Per subscription: (delivery, price, quantity) of its planned baskets still to come."""
    if not subscription_ids:
        return {}
    query = (
        select(Delivery)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .where(
            Delivery.subscription_id.in_(subscription_ids),
            Delivery.state == DeliveryState.PLANNED.value,
            DistributionDay.starts_at > now,
        )
        .order_by(Delivery.id)
    )
    if lock:
        query = query.with_for_update(of=Delivery)
    found: dict[int, list[tuple[Delivery, int, int]]] = defaultdict(list)
    for delivery in db.session.scalars(query):
        found[delivery.subscription_id].append((delivery, delivery.price_cents, delivery.quantity))
    return found


def _difference(deliveries: list[tuple[Delivery, int, int]], percent: int) -> int:
    """What the reduced price takes off these baskets, in whole cents."""
    return sum(
        max(price - tier_price_cents(price, percent), 0) * quantity
        for _delivery, price, quantity in deliveries
    )


# --- Deciding ------------------------------------------------------------------------------------


def approve(
    group: Group, subscription_id: int, now: datetime, *, group_covers_shortfall: bool = False
) -> TierDecision:
    """Grant the household its reduced tier, paid for by the group's solidarity fund. When the
    fund lacks money, the coordinator may decide the group bears what is missing
    (`group_covers_shortfall`): the group's share enters the fund first, recorded."""
    # The fund first, then the request: every approval in the group takes them in this order.
    lock_fund(group.id)
    subscription = _pending_request(group, subscription_id)
    if paying_online(subscription.id):
        raise DomainError(
            _(
                "Un paiement en ligne est en cours pour ce contrat : attendez son résultat "
                "(quelques minutes, quelques jours pour un prélèvement) avant d'accorder le "
                "tarif solidaire, pour que le foyer ne paie pas l'ancien montant."
            )
        )
    percent = subscription.tier.percent
    deliveries = _remaining_deliveries([subscription.id], now, lock=True).get(subscription.id, [])
    difference = _difference(deliveries, percent)
    if difference > 0:
        balance = fund_balance_cents(group.id)
        shortfall = difference - max(balance, 0)
        if shortfall > 0 and not group_covers_shortfall:
            raise DomainError(
                _(
                    "Le fonds de solidarité ne couvre pas cette différence : il faut "
                    "%(needed)s, le fonds a %(balance)s, il manque %(missing)s. Vous pouvez "
                    "accorder le tarif en faisant prendre en charge ce qui manque par le "
                    "groupe, ou attendre de nouveaux dons au fonds.",
                    needed=format_money(difference),
                    balance=format_money(balance),
                    missing=format_money(shortfall),
                )
            )
        if shortfall > 0:
            record_group_share(
                group.id,
                shortfall,
                paris_today(now),
                _(
                    "Part du tarif solidaire prise en charge par le groupe — %(offer)s",
                    offer=subscription.offer.name,
                ),
                subscription_id=subscription.id,
            )
        for delivery, price, _quantity in deliveries:
            delivery.price_cents = tier_price_cents(price, percent)
        lower_unpaid_installments(subscription.id, difference)
        _book_support(group, subscription, difference, paris_today(now))
    subscription.tier_status = TierStatus.APPROVED.value
    db.session.flush()
    return TierDecision(
        subscription,
        approved=True,
        difference_cents=difference,
        price_cents=tier_price_cents(subscription.size.price_cents, percent),
    )


def refuse(group: Group, subscription_id: int) -> TierDecision:
    """Keep the standard price: only the request's state changes."""
    subscription = _pending_request(group, subscription_id)
    subscription.tier_status = TierStatus.REFUSED.value
    db.session.flush()
    return TierDecision(subscription, approved=False)


def _pending_request(group: Group, subscription_id: int) -> Subscription:
    subscription = db.session.scalar(
        select(Subscription)
        .where(Subscription.id == subscription_id, Subscription.group_id == group.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if subscription is None:
        raise DomainError(_("Cette demande n'existe pas dans ce groupe."))
    if (
        subscription.tier_status != TierStatus.PENDING
        or subscription.status != SubscriptionStatus.ACTIVE
    ):
        # A replayed form, or a colleague was quicker: nothing is done twice.
        raise DomainError(_("Cette demande a déjà été traitée."))
    return subscription


def _book_support(group: Group, subscription: Subscription, difference: int, today) -> None:
    offer: BasketOffer = subscription.offer
    user: User = subscription.user
    # The household reads this line on its statement, in its own language.
    entry = book_entry(
        user_id=user.id,
        group_id=group.id,
        kind=EntryKind.CREDIT,
        amount_cents=difference,
        occurred_on=today,
        **words("tier_support", offer=offer.name).fields(),
        offer_id=offer.id,
        subscription_id=subscription.id,
    )
    record_tier_support(
        group.id,
        difference,
        today,
        _("Tarif solidaire — %(offer)s", offer=offer.name),
        user_id=user.id,
        subscription_id=subscription.id,
        ledger_entry_id=entry.id,
    )


# --- Telling the household -----------------------------------------------------------------------


def notify_decision(decision: TierDecision, note: str = "") -> None:
    """Email the household, in its language, with discreet wording. The coordinator's note
    travels in this email only: it is stored nowhere."""
    subscription = decision.subscription
    user = subscription.user
    template = "email/tier_approved" if decision.approved else "email/tier_refused"
    with force_locale(user.language):
        send_email(
            user.email,
            _("Votre inscription au contrat %(offer)s", offer=subscription.offer.name),
            template,
            user=user,
            offer=subscription.offer,
            price=format_money(decision.price_cents) if decision.price_cents is not None else "",
            note=note.strip(),
            link=absolute_url("subscriptions.detail", subscription_id=subscription.id),
        )
