"""Seasons planned whole: each live subscription has one delivery per covered day of its season.

The written rule, applied by `plan_seasons` when the calendar changes (in the same transaction),
every night (the `plan_seasons` job) and by `flask seasons repair`:

- A covered day (a scheduled distribution day of the subscription's pickup point, within the
  season, at the contract's rhythm) whose order window was open when the household signed and
  is still open now gets a delivery at the subscription's price, booked as a commitment, with
  new installments after the last one (the contract's payment plan, none due before today).
  A covered day whose window has closed without a delivery is reported, never billed: nobody
  harvests a basket for a day already past.
- A delivery whose day is cancelled (a public holiday, an exception, a closed pickup point)
  becomes "cancelled". By the contract's `cancelled_day_policy`, its baskets are carried by the
  next planned delivery ("postpone"), or credited ("credit", also when no delivery follows): a
  ledger credit, the pledged gift withdrawn, and the unpaid installments lowered by as much
  (what was already paid stays in the household's favour on its statement).
- A day scheduled again gets its delivery back: the carried baskets return from the later
  delivery when it is still to come, otherwise the basket is billed again like an added one.
- An absence or a basket already handed over is never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.baskets.installments import append_installments, lower_unpaid_installments
from marketplace.baskets.models import (
    BasketOffer,
    CancelledDayPolicy,
    Delivery,
    DeliveryState,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
    TierStatus,
)
from marketplace.baskets.schedule import (
    CandidateDay,
    Season,
    covered_days,
    installment_plan,
    remaining_days,
    tier_price_cents,
)
from marketplace.delivery import followers
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.payments.fund import (
    fund_balance_cents,
    lock_fund,
    record_donation,
    record_tier_support,
    withdraw_donation,
)
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.timezones import paris_today

# Baskets a cancelled day may take from: not yet handed over, not an absence.
CANCELLABLE_STATES = (DeliveryState.PLANNED.value, DeliveryState.GIVEN.value)


@dataclass
class PlanReport:
    """What planning changed; `lines` say it per subscription, for the repair command."""

    subscriptions: int = 0
    added: int = 0
    added_cents: int = 0
    cancelled: int = 0
    credited_cents: int = 0
    carried: int = 0
    restored: int = 0
    missed: int = 0  # covered days already closed, without a delivery: reported, not billed
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.cancelled or self.restored)

    def __str__(self) -> str:
        return (
            f"{self.subscriptions} abonnement(s) vérifié(s), {self.added} livraison(s) "
            f"ajoutée(s) ({self.added_cents / 100:.2f} €), {self.cancelled} annulée(s) "
            f"({self.credited_cents / 100:.2f} € crédités, {self.carried} panier(s) reporté(s)), "
            f"{self.restored} rétablie(s), {self.missed} jour(s) passé(s) sans livraison"
        )


def season_ends_by_group(group_ids: Collection[int] | None) -> dict[int, date]:
    """The end of the longest season of each group's published contracts."""
    query = (
        select(BasketOffer.group_id, func.max(BasketOffer.season_ends_on))
        .where(BasketOffer.status == OfferStatus.PUBLISHED.value)
        .group_by(BasketOffer.group_id)
    )
    if group_ids is not None:
        query = query.where(BasketOffer.group_id.in_(list(group_ids)))
    return {group_id: day for group_id, day in db.session.execute(query)}


def plan_seasons(
    now: datetime,
    *,
    group_ids: Collection[int] | None = None,
    offer_ids: Collection[int] | None = None,
) -> PlanReport:
    """Bring every live subscription (of these groups or offers) in line with its season."""
    report = PlanReport()
    query = (
        select(Subscription)
        .where(Subscription.status == SubscriptionStatus.ACTIVE.value)
        .options(
            joinedload(Subscription.offer),
            joinedload(Subscription.size),
            joinedload(Subscription.tier),
            joinedload(Subscription.user),
        )
        .order_by(Subscription.offer_id, Subscription.id)
    )
    if group_ids is not None:
        query = query.where(Subscription.group_id.in_(list(group_ids)))
    if offer_ids is not None:
        query = query.where(Subscription.offer_id.in_(list(offer_ids)))
    if db.session.get_bind().dialect.name != "sqlite":
        # A sign-up, an absence or a cancellation running meanwhile waits for this plan.
        query = query.with_for_update(of=Subscription)
    by_offer: dict[int, list[Subscription]] = defaultdict(list)
    for subscription in db.session.scalars(query).unique():
        by_offer[subscription.offer_id].append(subscription)
    for subscriptions in by_offer.values():
        _plan_offer(subscriptions[0].offer, subscriptions, now, report)
    db.session.flush()
    return report


def _plan_offer(
    offer: BasketOffer, subscriptions: list[Subscription], now: datetime, report: PlanReport
) -> None:
    point_ids = {subscription.pickup_point_id for subscription in subscriptions}
    days = db.session.scalars(
        select(DistributionDay).where(
            DistributionDay.group_id == offer.group_id,
            DistributionDay.pickup_point_id.in_(point_ids),
            DistributionDay.day >= offer.season_starts_on,
            DistributionDay.day <= offer.season_ends_on,
        )
    ).all()
    days_by_id = {day.id: day for day in days}
    candidates: dict[int, list[CandidateDay]] = defaultdict(list)
    for day in days:
        candidates[day.pickup_point_id].append(
            CandidateDay(day.day, day.order_closes_at, day.is_cancelled, ref=day.id)
        )
    deliveries: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in db.session.scalars(
        select(Delivery).where(Delivery.subscription_id.in_([s.id for s in subscriptions]))
    ):
        deliveries[delivery.subscription_id].append(delivery)
    season = Season(offer.season_starts_on, offer.season_ends_on, offer.frequency)
    for subscription in subscriptions:
        report.subscriptions += 1
        covered = covered_days(candidates[subscription.pickup_point_id], season)
        signed_for = remaining_days(covered, subscription.created_at)
        planner = _SubscriptionPlanner(subscription, days_by_id, now, report)
        planner.plan(signed_for, deliveries[subscription.id])


class _SubscriptionPlanner:
    def __init__(self, subscription, days_by_id, now: datetime, report: PlanReport) -> None:
        self.subscription = subscription
        self.offer: BasketOffer = subscription.offer
        self.days_by_id: dict[int, DistributionDay] = days_by_id
        self.now = now
        self.today = paris_today(now)
        self.report = report
        self.changes: list[str] = []

    def plan(self, signed_for: list[CandidateDay], deliveries: list[Delivery]) -> None:
        by_day = {delivery.distribution_day_id: delivery for delivery in deliveries}
        for delivery in sorted(deliveries, key=self._day_of):
            day = self.days_by_id.get(delivery.distribution_day_id)
            if day is None:
                continue
            if day.is_cancelled and delivery.state in CANCELLABLE_STATES:
                self._cancel(delivery, day, deliveries)
            elif (
                not day.is_cancelled
                and delivery.state == DeliveryState.CANCELLED
                and self.now < day.order_closes_at
            ):
                self._restore(delivery, day)
        missing = [
            self.days_by_id[candidate.ref]
            for candidate in signed_for
            if candidate.ref not in by_day
        ]
        to_add = [day for day in missing if self.now < day.order_closes_at]
        self.report.missed += len(missing) - len(to_add)
        if to_add:
            self._add(to_add)
        if self.changes:
            user = self.subscription.user
            self.report.lines.append(
                f"{user.email} — {self.offer.name} : " + " ; ".join(self.changes)
            )

    def _day_of(self, delivery: Delivery) -> date:
        day = self.days_by_id.get(delivery.distribution_day_id)
        return day.day if day is not None else date.min

    # --- A cancelled day ---------------------------------------------------------------------

    def _cancel(self, delivery: Delivery, day: DistributionDay, deliveries: list) -> None:
        delivery.state = DeliveryState.CANCELLED.value
        delivery.given_to_name = delivery.given_to_email = None
        self.report.cancelled += 1
        later = None
        if self.offer.cancelled_day_policy == CancelledDayPolicy.POSTPONE.value:
            later = self._next_planned(day, deliveries)
        if later is not None:
            later.quantity += delivery.quantity
            delivery.postponed_to = later
            self.report.carried += delivery.quantity
            self.changes.append(f"{day.day.isoformat()} annulée, panier reporté")
            return
        amount = delivery.price_cents * delivery.quantity
        gift = self.subscription.donation_per_delivery_cents
        with force_locale(self.subscription.user.language):
            label = _(
                "Distribution du %(date)s annulée — panier crédité",
                date=format_date(day.day, "long"),
            )
        if amount > 0:
            self._book(EntryKind.CREDIT, amount, label)
        if gift > 0:
            withdraw_donation(
                self.subscription.group_id,
                self.subscription.user_id,
                gift,
                self.today,
                label,
                subscription_id=self.subscription.id,
            )
        lower_unpaid_installments(self.subscription.id, amount + gift)
        self.report.credited_cents += amount + gift
        self.changes.append(f"{day.day.isoformat()} annulée, {amount / 100:.2f} € crédités")

    def _next_planned(self, day: DistributionDay, deliveries: list[Delivery]) -> Delivery | None:
        later = [
            delivery
            for delivery in deliveries
            if delivery.state == DeliveryState.PLANNED.value
            and (other := self.days_by_id.get(delivery.distribution_day_id)) is not None
            and not other.is_cancelled
            and other.day > day.day
            and self.now < other.order_closes_at
        ]
        return min(later, key=self._day_of, default=None)

    # --- A day back in the calendar ----------------------------------------------------------

    def _restore(self, delivery: Delivery, day: DistributionDay) -> None:
        later = delivery.postponed_to
        self.report.restored += 1
        if (
            later is not None
            and later.state == DeliveryState.PLANNED.value
            and later.quantity > delivery.quantity
        ):
            later.quantity -= delivery.quantity
            delivery.postponed_to = None
            delivery.state = DeliveryState.PLANNED.value
            self.changes.append(f"{day.day.isoformat()} rétablie, panier reporté rendu")
            return
        delivery.postponed_to = None
        delivery.state = DeliveryState.PLANNED.value
        delivery.quantity = 1
        self._bill([(day, delivery)])
        self.changes.append(f"{day.day.isoformat()} rétablie")

    # --- Days added to the season ------------------------------------------------------------

    def _add(self, days: list[DistributionDay]) -> None:
        price = self._price_cents()
        added = []
        for day in days:
            delivery = Delivery(
                subscription_id=self.subscription.id,
                distribution_day_id=day.id,
                size_id=self.subscription.size_id,
                quantity=1,
                price_cents=price,
            )
            db.session.add(delivery)
            added.append((day, delivery))
        db.session.flush()
        self._bill(added)
        self.report.added += len(added)
        self.changes.append(
            f"{len(added)} livraison(s) ajoutée(s) du {days[0].day.isoformat()} "
            f"au {days[-1].day.isoformat()}"
        )

    def _price_cents(self) -> int:
        """What a basket costs the household today: the approved tier's price, or the
        standard price while a reduced tier waits or was refused."""
        size_price = self.subscription.size.price_cents
        if self.subscription.tier_status == TierStatus.APPROVED.value:
            return tier_price_cents(size_price, self.subscription.tier.percent)
        return size_price

    def _bill(self, added: list[tuple[DistributionDay, Delivery]]) -> None:
        """Commit the household to these baskets: one commitment, the gifts, installments."""
        subscription = self.subscription
        total = sum(delivery.price_cents * delivery.quantity for _day, delivery in added)
        gift = subscription.donation_per_delivery_cents
        with force_locale(subscription.user.language):
            label = ngettext(
                "%(offer)s — saison complétée, %(num)d livraison ajoutée",
                "%(offer)s — saison complétée, %(num)d livraisons ajoutées",
                len(added),
                offer=self.offer.name,
            )
        support = self._fund_support_cents(added)
        # As at a tier's approval: committed at the standard price, the fund's part credited.
        if total + support > 0:
            self._book(EntryKind.COMMITMENT, -(total + support), label)
        if support > 0:
            entry = self._book(EntryKind.CREDIT, support, label)
            record_tier_support(
                subscription.group_id,
                support,
                self.today,
                label,
                user_id=subscription.user_id,
                subscription_id=subscription.id,
                ledger_entry_id=entry.id,
            )
        if gift > 0:
            record_donation(
                self.offer.group,
                subscription.user,
                gift * len(added),
                self.today,
                label,
                subscription_id=subscription.id,
            )
        planned = installment_plan(
            [(day.day, delivery.price_cents * delivery.quantity + gift) for day, delivery in added],
            subscription.payment_plan,
            self.today,
        )
        append_installments(subscription.id, planned, self.today)
        self.report.added_cents += total

    def _fund_support_cents(self, added) -> int:
        """What the solidarity fund adds to an approved reduced price, as at approval; 0 when
        the fund cannot (the producer's statement then shows the difference still due)."""
        subscription = self.subscription
        if subscription.tier_status != TierStatus.APPROVED.value:
            return 0
        difference = sum(
            (subscription.size.price_cents - delivery.price_cents) * delivery.quantity
            for _day, delivery in added
        )
        if difference <= 0:
            return 0
        lock_fund(subscription.group_id)
        if fund_balance_cents(subscription.group_id) < difference:
            return 0
        return difference

    def _book(self, kind: EntryKind, amount_cents: int, label: str):
        return book_entry(
            user_id=self.subscription.user_id,
            group_id=self.subscription.group_id,
            kind=kind,
            amount_cents=amount_cents,
            occurred_on=self.today,
            label=label,
            offer_id=self.offer.id,
            subscription_id=self.subscription.id,
        )


def _days_changed(group_ids: Collection[int], now: datetime) -> None:
    plan_seasons(now, group_ids=group_ids)


SEASON_FOLLOWER = followers.CalendarFollower(
    name="basket-seasons",
    days_needed_until=season_ends_by_group,
    days_changed=_days_changed,
)
