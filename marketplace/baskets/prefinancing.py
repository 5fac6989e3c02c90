"""The prefinancing statement: per basket offer, what households committed, paid and received.

Figures are sums over the ledger and the delivery rows, computed by the database in one query
for all the offers shown. No household appears here, only totals per offer, so no one's name
or price tier can reach a producer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    PriceTier,
    Subscription,
    SubscriptionStatus,
    TierStatus,
)
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.payments.models import EntryKind, FundMovement, FundMovementKind, LedgerEntry
from marketplace.producers.models import Producer

# A basket counts as delivered once its day has started, unless it was not handed out for the
# household (absent: credited or moved to a later date; donated: given to the grocery).
DELIVERED_STATES = (
    DeliveryState.PLANNED.value,
    DeliveryState.GIVEN.value,
    DeliveryState.COLLECTED.value,
    DeliveryState.NOT_COLLECTED.value,
)
# Baskets still to come: the day has not started yet and the basket is expected.
UPCOMING_STATES = (DeliveryState.PLANNED.value, DeliveryState.GIVEN.value)


@dataclass(frozen=True)
class OfferFigures:
    offer_id: int
    offer_name: str
    group_name: str
    producer_name: str
    season_starts_on: date
    season_ends_on: date
    subscriptions: int  # active ones
    committed_cents: int
    received_cents: int
    delivered_cents: int
    baskets_delivered: int
    baskets_upcoming: int

    @property
    def still_due_cents(self) -> int:
        """What households have yet to pay; an overpayment is not a debt of the producer's."""
        return max(self.committed_cents - self.received_cents, 0)


@dataclass(frozen=True)
class PrefinancingStatement:
    offers: list[OfferFigures]

    def total(self, attribute: str) -> int:
        return sum(getattr(figures, attribute) for figures in self.offers)


def _sum_where(condition: ColumnElement[bool], value: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _ledger_by_offer():
    kind, amount = LedgerEntry.kind, LedgerEntry.amount_cents
    return (
        select(
            LedgerEntry.offer_id.label("offer_id"),
            # Commitments are negative from the household's side: the producer sees them positive.
            (-_sum_where(kind == EntryKind.COMMITMENT.value, amount)).label("committed"),
            # Refunds are negative entries, so adding them takes them off what was received.
            _sum_where(kind.in_([EntryKind.PAYMENT.value, EntryKind.REFUND.value]), amount).label(
                "received"
            ),
        )
        .where(LedgerEntry.offer_id.is_not(None))
        .group_by(LedgerEntry.offer_id)
        .subquery("ledger")
    )


def _fund_support_by_offer():
    """What the solidarity fund paid on behalf of households with an approved reduced price:
    for the producer, that money is received like the households' own payments."""
    return (
        select(
            Subscription.offer_id.label("offer_id"),
            (-func.sum(FundMovement.amount_cents)).label("fund_support"),
        )
        .join(Subscription, Subscription.id == FundMovement.subscription_id)
        .where(FundMovement.kind == FundMovementKind.TIER_SUPPORT.value)
        .group_by(Subscription.offer_id)
        .subquery("fund")
    )


def _producer_price(delivery_price: ColumnElement[int]) -> ColumnElement[int]:
    """The basket's price for the producer: the household's own price, except that an approved
    reduced price is made up to the standard price by the solidarity fund."""
    reduced = (Subscription.tier_status == TierStatus.APPROVED.value) & (PriceTier.percent < 100)
    return case((reduced, BasketSize.price_cents), else_=delivery_price)


def _subscriptions_by_offer():
    return (
        select(Subscription.offer_id.label("offer_id"), func.count().label("subscriptions"))
        .where(Subscription.status == SubscriptionStatus.ACTIVE.value)
        .group_by(Subscription.offer_id)
        .subquery("subscribed")
    )


def _deliveries_by_offer(now: datetime):
    started = DistributionDay.starts_at <= now
    held = DistributionDay.status != DayStatus.CANCELLED.value
    delivered = started & held & Delivery.state.in_(DELIVERED_STATES)
    upcoming = ~started & held & Delivery.state.in_(UPCOMING_STATES)
    return (
        select(
            Subscription.offer_id.label("offer_id"),
            _sum_where(delivered, _producer_price(Delivery.price_cents) * Delivery.quantity).label(
                "delivered"
            ),
            _sum_where(delivered, Delivery.quantity).label("baskets_delivered"),
            _sum_where(upcoming, Delivery.quantity).label("baskets_upcoming"),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(PriceTier, PriceTier.id == Subscription.tier_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .group_by(Subscription.offer_id)
        .subquery("delivered")
    )


def _statement(condition: ColumnElement[bool], now: datetime) -> PrefinancingStatement:
    ledger = _ledger_by_offer()
    fund = _fund_support_by_offer()
    subscribed = _subscriptions_by_offer()
    deliveries = _deliveries_by_offer(now)
    # Groups and producers share one table: each join needs its own alias.
    group, producer = aliased(Group, name="offer_group"), aliased(Producer, name="offer_producer")
    rows = db.session.execute(
        select(
            BasketOffer.id,
            BasketOffer.name,
            group.name,
            producer.name,
            BasketOffer.season_starts_on,
            BasketOffer.season_ends_on,
            func.coalesce(subscribed.c.subscriptions, 0),
            func.coalesce(ledger.c.committed, 0),
            func.coalesce(ledger.c.received, 0) + func.coalesce(fund.c.fund_support, 0),
            func.coalesce(deliveries.c.delivered, 0),
            func.coalesce(deliveries.c.baskets_delivered, 0),
            func.coalesce(deliveries.c.baskets_upcoming, 0),
        )
        .join(group, group.id == BasketOffer.group_id)
        .join(producer, producer.id == BasketOffer.producer_id)
        .outerjoin(ledger, ledger.c.offer_id == BasketOffer.id)
        .outerjoin(fund, fund.c.offer_id == BasketOffer.id)
        .outerjoin(subscribed, subscribed.c.offer_id == BasketOffer.id)
        .outerjoin(deliveries, deliveries.c.offer_id == BasketOffer.id)
        .where(condition)
        .order_by(BasketOffer.season_starts_on.desc(), group.name, producer.name, BasketOffer.name)
    ).all()
    return PrefinancingStatement(
        offers=[OfferFigures(*row[:6], *(int(value) for value in row[6:])) for row in rows]
    )


def producer_statement(producer_id: int, *, now: datetime) -> PrefinancingStatement:
    """Every offer of the producer, in all the groups it supplies."""
    return _statement(BasketOffer.producer_id == producer_id, now)


def group_statement(group_id: int, *, now: datetime) -> PrefinancingStatement:
    """Every offer of the group, whatever the producer."""
    return _statement(BasketOffer.group_id == group_id, now)


# --- CSV export --------------------------------------------------------------------------------


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def euros(cents: int) -> str:
    """Cents as euros with a decimal comma and no thousands separator ("1234,50"), as French
    spreadsheets read them; integer arithmetic only."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def _text_cell(value: str) -> str:
    """A name typed by someone, defused so a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def statement_csv(statement: PrefinancingStatement) -> str:
    """One row per offer, `;`-separated, with a byte order mark so Excel reads the accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Groupe"),
            _("Producteur·rice"),
            _("Contrat"),
            _("Début de saison"),
            _("Fin de saison"),
            _("Abonnements"),
            _("Engagé (€)"),
            _("Reçu (€)"),
            _("Reste dû (€)"),
            _("Livré à ce jour (€)"),
            _("Paniers livrés"),
            _("Paniers à venir"),
        ]
    )
    for figures in statement.offers:
        writer.writerow(
            [
                _text_cell(figures.group_name),
                _text_cell(figures.producer_name),
                _text_cell(figures.offer_name),
                figures.season_starts_on.strftime("%d/%m/%Y"),
                figures.season_ends_on.strftime("%d/%m/%Y"),
                figures.subscriptions,
                euros(figures.committed_cents),
                euros(figures.received_cents),
                euros(figures.still_due_cents),
                euros(figures.delivered_cents),
                figures.baskets_delivered,
                figures.baskets_upcoming,
            ]
        )
    return "\ufeff" + buffer.getvalue()
