"""The rare cases of season planning, one subscription at a time with its objects: a day
cancelled (its baskets carried or credited), a day back in the calendar, and days added to a
subscription whose baskets involve the solidarity fund (a gift, a solidarity price the fund
tops up), which must read the fund's balance in order. See `seasons` for the written rule."""

from __future__ import annotations

from datetime import date, datetime

from marketplace.baskets.installments import append_installments, lower_unpaid_installments
from marketplace.baskets.models import (
    BasketOffer,
    CancelledDayPolicy,
    Delivery,
    DeliveryState,
    TierStatus,
)
from marketplace.baskets.schedule import CandidateDay, installment_plan, tier_price_cents
from marketplace.baskets.season_batch import PlanReport, added_change, completed_label
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.payments.entry_words import Words, words
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


class SubscriptionPlanner:
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
        label = words("day_cancelled", date=day.day)
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
        self.changes.append(added_change(days))

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
        label = completed_label(self.offer, len(added))
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
                label.french(),
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

    def _book(self, kind: EntryKind, amount_cents: int, label: Words):
        return book_entry(
            user_id=self.subscription.user_id,
            group_id=self.subscription.group_id,
            kind=kind,
            amount_cents=amount_cents,
            occurred_on=self.today,
            **label.fields(),
            offer_id=self.offer.id,
            subscription_id=self.subscription.id,
        )
