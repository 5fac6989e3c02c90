"""What the association owes each producer: the money collected on its behalf (card, SEPA,
transfers, cheques, cash — ledger payments on its contracts), minus refunds and reversals
(a bounced cheque, a dispute), minus the payment fees Stripe kept on card and SEPA payments
(when known), minus what was already settled: payouts, and cheques or cash handed to the
producer.

Amounts here are signed from the producer's side: what it is owed is positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, Subscription
from marketplace.books.models import Payout
from marketplace.cards.models import CardPayment
from marketplace.extensions import db
from marketplace.payments.entry_words import label_text
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.models import (
    EntryKind,
    Installment,
    LedgerEntry,
    OfflinePayment,
    OfflinePaymentState,
)
from marketplace.payments.offline import cheque_label
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.timezones import local_instant, paris_today

# Money that moved: payments in, refunds out, and reversals of a payment (a bounced cheque
# "offline:<id>:cancelled", a card dispute or SEPA return booked under the dispute's id).
# Commitments, credits, manual corrections and an absence taken back ("absence:…", which
# undoes a credit) are not money.
NOT_MONEY_PREFIXES = ("absence:",)
MONEY_RULE = or_(
    LedgerEntry.kind.in_((EntryKind.PAYMENT.value, EntryKind.REFUND.value)),
    and_(
        LedgerEntry.kind == EntryKind.ADJUSTMENT.value,
        LedgerEntry.external_reference.is_not(None),
        *(LedgerEntry.external_reference.not_like(f"{prefix}%") for prefix in NOT_MONEY_PREFIXES),
    ),
)


@dataclass
class ProducerBalance:
    producer_id: int
    producer_name: str
    collected_cents: int = 0
    refunded_cents: int = 0  # positive: given back to households
    fees_cents: int = 0  # positive: kept by the payment provider
    handed_over_cents: int = 0  # cheques and cash handed to the producer
    paid_out_cents: int = 0  # transfers of payout runs

    @property
    def settled_cents(self) -> int:
        return self.handed_over_cents + self.paid_out_cents

    @property
    def owed_cents(self) -> int:
        return self.collected_cents - self.refunded_cents - self.fees_cents - self.settled_cents


def _fees(group_id: int, until: date, producer_id: int | None = None):
    """(producer id, day, payment label (stored, key, parameters), household, fee) of each
    payment with a fee on the group's contracts up to `until`."""
    query = (
        select(
            BasketOffer.producer_id,
            LedgerEntry.occurred_on,
            LedgerEntry.label,
            LedgerEntry.label_key,
            LedgerEntry.label_params,
            User.name,
            CardPayment.fee_cents,
        )
        .join(LedgerEntry, LedgerEntry.id == CardPayment.ledger_entry_id)
        .join(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .join(User, User.id == LedgerEntry.user_id)
        .where(
            LedgerEntry.group_id == group_id,
            LedgerEntry.occurred_on <= until,
            CardPayment.fee_cents > 0,
        )
    )
    if producer_id is not None:
        query = query.where(BasketOffer.producer_id == producer_id)
    return db.session.execute(query)


def _end_instant(until: date) -> datetime:
    return local_instant(until + timedelta(days=1), time(0))


def balances(group_id: int, *, until: date | None = None) -> list[ProducerBalance]:
    """Every producer supplying the group (or paid by it), what it is owed at the end of
    `until` (default: now). Five queries whatever the number of producers and payments."""
    until = until or paris_today()
    rows: dict[int, ProducerBalance] = {
        producer_id: ProducerBalance(producer_id, name)
        for producer_id, name in db.session.execute(
            select(Producer.id, Producer.name)
            .join(ProducerSuppliesGroup, ProducerSuppliesGroup.producer_id == Producer.id)
            .where(ProducerSuppliesGroup.group_id == group_id)
        )
    }

    def row(producer_id: int) -> ProducerBalance:
        if producer_id not in rows:
            name = db.session.scalar(select(Producer.name).where(Producer.id == producer_id))
            rows[producer_id] = ProducerBalance(producer_id, name or "")
        return rows[producer_id]

    ledger = db.session.execute(
        select(BasketOffer.producer_id, LedgerEntry.kind, func.sum(LedgerEntry.amount_cents))
        .join(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .where(LedgerEntry.group_id == group_id, LedgerEntry.occurred_on <= until, MONEY_RULE)
        .group_by(BasketOffer.producer_id, LedgerEntry.kind)
    )
    for producer_id, kind, total in ledger:
        if kind == EntryKind.PAYMENT:
            row(producer_id).collected_cents += total
        else:
            row(producer_id).refunded_cents -= total
    handed = db.session.execute(
        select(BasketOffer.producer_id, func.sum(OfflinePayment.amount_cents))
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(
            OfflinePayment.group_id == group_id,
            OfflinePayment.state == OfflinePaymentState.HANDED_OVER.value,
            OfflinePayment.handed_over_at < _end_instant(until),
        )
        .group_by(BasketOffer.producer_id)
    )
    for producer_id, total in handed:
        row(producer_id).handed_over_cents += total
    for producer_id, _on, _label, _key, _params, _household, fee in _fees(group_id, until):
        row(producer_id).fees_cents += fee
    paid = db.session.execute(
        select(Payout.producer_id, func.sum(Payout.amount_cents))
        .where(Payout.group_id == group_id, Payout.paid_on <= until)
        .group_by(Payout.producer_id)
    )
    for producer_id, total in paid:
        row(producer_id).paid_out_cents += total
    return sorted(rows.values(), key=lambda balance: balance.producer_name.casefold())


# --- A producer's statement over a period ----------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    on: date
    kind: str  # "collected", "refunded", "fees", "handed_over", "paid_out"
    label: str
    household: str
    amount_cents: int  # signed from the producer's side


@dataclass
class Statement:
    group_id: int
    producer_id: int
    start: date
    end: date
    opening_cents: int = 0
    lines: list[StatementLine] = field(default_factory=list)

    def total(self, kind: str) -> int:
        return sum(line.amount_cents for line in self.lines if line.kind == kind)

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + sum(line.amount_cents for line in self.lines)


def _movements(group_id: int, producer_id: int, end: date) -> list[StatementLine]:
    lines: list[StatementLine] = []
    entries = db.session.execute(
        select(
            LedgerEntry.occurred_on,
            LedgerEntry.kind,
            LedgerEntry.label,
            LedgerEntry.label_key,
            LedgerEntry.label_params,
            User.name,
            LedgerEntry.amount_cents,
        )
        .join(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .join(User, User.id == LedgerEntry.user_id)
        .where(
            LedgerEntry.group_id == group_id,
            BasketOffer.producer_id == producer_id,
            LedgerEntry.occurred_on <= end,
            MONEY_RULE,
        )
    )
    for on, kind, label, key, params, household, amount in entries:
        kind_name = "collected" if kind == EntryKind.PAYMENT else "refunded"
        lines.append(
            StatementLine(on, kind_name, label_text(label, key, params), household, amount)
        )
    handed = db.session.execute(
        select(
            OfflinePayment.handed_over_at,
            OfflinePayment.method,
            OfflinePayment.bank,
            OfflinePayment.cheque_number,
            User.name,
            OfflinePayment.amount_cents,
        )
        .join(User, User.id == OfflinePayment.user_id)
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(
            OfflinePayment.group_id == group_id,
            BasketOffer.producer_id == producer_id,
            OfflinePayment.state == OfflinePaymentState.HANDED_OVER.value,
            OfflinePayment.handed_over_at < _end_instant(end),
        )
    )

    for _producer, on, label, key, params, household, fee in _fees(group_id, end, producer_id):
        lines.append(StatementLine(on, "fees", label_text(label, key, params), household, -fee))
    for at, method, bank, number, household, amount in handed:
        label = cheque_label(bank, number) if number else str(METHOD_LABELS[method])
        lines.append(StatementLine(paris_today(at), "handed_over", label, household, -amount))
    payouts = db.session.execute(
        select(Payout.paid_on, Payout.end_to_end_id, Payout.amount_cents).where(
            Payout.group_id == group_id, Payout.producer_id == producer_id, Payout.paid_on <= end
        )
    )
    for on, reference, amount in payouts:
        lines.append(StatementLine(on, "paid_out", reference, "", -amount))
    lines.sort(key=lambda line: (line.on, line.kind))
    return lines


def statement(group_id: int, producer_id: int, *, start: date, end: date) -> Statement:
    """The producer's account with the group from `start` to `end`: the balance owed before,
    each movement, the balance owed after (four queries)."""
    result = Statement(group_id, producer_id, start, end)
    for line in _movements(group_id, producer_id, end):
        if line.on < start:
            result.opening_cents += line.amount_cents
        else:
            result.lines.append(line)
    return result
