"""Season planning for many subscriptions at once, in a few set-based statements.

`plan_seasons` reads each offer's live subscriptions as plain rows, the distribution days once
and the existing deliveries as (subscription, day, state) tuples. The common case, days to add
to a subscription whose other deliveries need nothing and whose baskets involve no fund (no
gift, no solidarity price the fund tops up), is gathered here and written with one INSERT of
many rows per table: deliveries, commitments (the ledger), installments. The rare cases (a
cancelled day, a day back, a gift, the fund's support) go through the planner one subscription
at a time, as they need the fund's balance in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select

from marketplace.baskets.models import BasketOffer, Delivery, Subscription
from marketplace.baskets.schedule import installment_plan
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.payments.entry_words import Words, words
from marketplace.payments.ledger import book_entries
from marketplace.payments.models import EntryKind, Installment


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


@dataclass(frozen=True)
class SubscriptionRow:
    """What planning reads of a live subscription (and its household)."""

    id: int
    offer_id: int
    group_id: int
    user_id: int
    size_id: int
    tier_id: int
    tier_status: str
    pickup_point_id: int
    payment_plan: str
    donation_per_delivery_cents: int
    created_at: datetime
    email: str
    language: str


def added_change(days: list[DistributionDay]) -> str:
    """How the repair command tells of days added to one subscription."""
    return (
        f"{len(days)} livraison(s) ajoutée(s) du {days[0].day.isoformat()} "
        f"au {days[-1].day.isoformat()}"
    )


def completed_label(offer: BasketOffer, count: int) -> Words:
    """The commitment's words, written in the reader's language."""
    return words("season_completed", offer=offer.name, num=count)


class SeasonBatch:
    """The rows to add for one offer's subscriptions, written together by `write`."""

    def __init__(self, offer: BasketOffer, today: date) -> None:
        self.offer = offer
        self.today = today
        self.deliveries: list[dict] = []
        self.entries: list[dict] = []
        self.schedules: list[tuple[int, list]] = []

    def add(self, row: SubscriptionRow, days: list[DistributionDay], price_cents: int) -> int:
        """Plan `days` for the subscription at `price_cents` a basket; return the total."""
        self.deliveries.extend(
            {
                "subscription_id": row.id,
                "distribution_day_id": day.id,
                "size_id": row.size_id,
                "quantity": 1,
                "price_cents": price_cents,
            }
            for day in days
        )
        total = price_cents * len(days)
        if total > 0:
            self.entries.append(
                {
                    "user_id": row.user_id,
                    "group_id": row.group_id,
                    "kind": EntryKind.COMMITMENT,
                    "amount_cents": -total,
                    "occurred_on": self.today,
                    **completed_label(self.offer, len(days)).fields(),
                    "offer_id": self.offer.id,
                    "subscription_id": row.id,
                }
            )
        planned = installment_plan(
            [(day.day, price_cents) for day in days], row.payment_plan, self.today
        )
        if planned:
            self.schedules.append((row.id, planned))
        return total

    def write(self) -> None:
        """One INSERT of many rows per table; installments follow each subscription's last."""
        # Core inserts on the session's connection (same transaction): one executemany of
        # plain rows, without the ORM's per-row bookkeeping.
        connection = db.session.connection()
        if self.deliveries:
            connection.execute(insert(Delivery.__table__), self.deliveries)
        book_entries(self.entries)
        if not self.schedules:
            return
        last = dict(
            db.session.execute(
                select(Installment.subscription_id, func.max(Installment.sequence))
                .join(Subscription, Subscription.id == Installment.subscription_id)
                .where(Subscription.offer_id == self.offer.id)
                .group_by(Installment.subscription_id)
            ).all()
        )
        rows = [
            {
                "subscription_id": subscription_id,
                "sequence": last.get(subscription_id, 0) + position,
                "due_on": max(item.due_on, self.today),
                "amount_cents": item.amount_cents,
            }
            for subscription_id, planned in self.schedules
            for position, item in enumerate(planned, start=1)
        ]
        connection.execute(insert(Installment.__table__), rows)
