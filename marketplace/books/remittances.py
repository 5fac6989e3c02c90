"""Remittance slips (bordereaux de remise): the cheques not yet remitted, by producer or as one
bank deposit, and the cash counted at a pickup day; « Remettre » records the remittance and
books the money.

A bank deposit books each cheque as received (the household's ledger, its installment paid);
handing cheques to their producer also marks them handed over, so the producer's statement
counts them as settled. Each payment is in at most one remittance (a unique constraint): the
second of two clicks finds the first one's remittance and shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, select

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, Subscription
from marketplace.books.models import Remittance, RemittanceItem, RemittanceKind
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import offline
from marketplace.payments.models import (
    Installment,
    OfflineMethod,
    OfflinePayment,
    OfflinePaymentState,
)
from marketplace.producers.models import Producer
from marketplace.timezones import local_instant

LIVE_STATES = (OfflinePaymentState.RECORDED.value, OfflinePaymentState.RECEIVED.value)


@dataclass(frozen=True)
class SlipLine:
    payment_id: int
    method: str
    bank: str
    cheque_number: str
    holder: str
    amount_cents: int
    producer_id: int
    producer_name: str
    cash_on: date | None
    state: str


@dataclass
class Slip:
    """A remittance slip: its lines and their total; `producer_id` when handed to a producer."""

    kind: str
    lines: list[SlipLine] = field(default_factory=list)
    producer_id: int | None = None
    producer_name: str = ""

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _lines_query(group_id: int, *, pending: bool = True) -> Select:
    query = (
        select(
            OfflinePayment.id,
            OfflinePayment.method,
            OfflinePayment.bank,
            OfflinePayment.cheque_number,
            User.name,
            OfflinePayment.amount_cents,
            Producer.id,
            Producer.name,
            OfflinePayment.cash_on,
            OfflinePayment.state,
        )
        .join(User, User.id == OfflinePayment.user_id)
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(Producer, Producer.id == BasketOffer.producer_id)
        .where(OfflinePayment.group_id == group_id)
        .order_by(Producer.name, OfflinePayment.bank, OfflinePayment.cheque_number)
    )
    if not pending:
        return query
    return query.where(
        OfflinePayment.state.in_(LIVE_STATES),
        OfflinePayment.id.not_in(select(RemittanceItem.payment_id)),
    )


def _lines(query: Select) -> list[SlipLine]:
    return [
        SlipLine(
            payment_id=row[0],
            method=row[1],
            bank=row[2] or "",
            cheque_number=row[3] or "",
            holder=row[4],
            amount_cents=row[5],
            producer_id=row[6],
            producer_name=row[7],
            cash_on=row[8],
            state=row[9],
        )
        for row in db.session.execute(query)
    ]


def pending_cheques(group_id: int) -> list[SlipLine]:
    """Every cheque of the group recorded and not yet remitted (one query)."""
    return _lines(_lines_query(group_id).where(OfflinePayment.method == OfflineMethod.CHEQUE.value))


def producer_slips(lines: Iterable[SlipLine]) -> list[Slip]:
    """The cheques grouped by the producer of their contract (they are made out to it)."""
    slips: dict[int, Slip] = {}
    for line in lines:
        slip = slips.setdefault(
            line.producer_id,
            Slip(
                RemittanceKind.PRODUCER.value,
                producer_id=line.producer_id,
                producer_name=line.producer_name,
            ),
        )
        slip.lines.append(line)
    return list(slips.values())


def bank_slip(lines: Iterable[SlipLine], *, today: date) -> Slip:
    """One bank deposit of the cheques that may be cashed today (not those dated later)."""
    ready = [line for line in lines if line.cash_on is None or line.cash_on <= today]
    return Slip(RemittanceKind.BANK.value, lines=ready)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return local_instant(day, time(0)), local_instant(day + timedelta(days=1), time(0))


def cash_slip(group_id: int, day: date) -> Slip:
    """The cash recorded on a pickup day and not yet deposited (one query)."""
    start, end = _day_bounds(day)
    query = _lines_query(group_id).where(
        OfflinePayment.method == OfflineMethod.CASH.value,
        OfflinePayment.created_at >= start,
        OfflinePayment.created_at < end,
    )
    return Slip(RemittanceKind.CASH.value, lines=_lines(query))


# --- Remitting ----------------------------------------------------------------------------------


def _existing_remittance(group_id: int, ids: set[int]) -> Remittance | None:
    return db.session.scalar(
        select(Remittance)
        .join(RemittanceItem, RemittanceItem.remittance_id == Remittance.id)
        .where(Remittance.group_id == group_id, RemittanceItem.payment_id.in_(ids))
        .limit(1)
    )


def _eligible(kind: str, lines: list[SlipLine], *, producer_id: int | None, today: date):
    method = OfflineMethod.CASH.value if kind == RemittanceKind.CASH else OfflineMethod.CHEQUE
    for line in lines:
        if line.method != method:
            return False
        if kind == RemittanceKind.PRODUCER and line.producer_id != producer_id:
            return False
        if kind == RemittanceKind.BANK and line.cash_on is not None and line.cash_on > today:
            return False
    return True


def remit(
    *,
    group_id: int,
    kind: str,
    payment_ids: Iterable[int],
    producer_id: int | None,
    created_by_id: int,
    today: date,
    now: datetime,
) -> Remittance:
    """Record the remittance of the chosen payments and book them, all or nothing."""
    ids = set(payment_ids)
    if kind not in {k.value for k in RemittanceKind}:
        raise DomainError(_("Choisissez une remise à la banque ou au producteur."))
    if not ids:
        raise DomainError(_("Cochez au moins un paiement à remettre."))
    lines = _lines(_lines_query(group_id).where(OfflinePayment.id.in_(ids)))
    if not lines:
        existing = _existing_remittance(group_id, ids)
        if existing is not None:  # the same click, a second time
            raise unique.AlreadyCreatedError(
                _("Ces paiements ont déjà été remis."), existing=existing
            )
    if len(lines) != len(ids) or not _eligible(kind, lines, producer_id=producer_id, today=today):
        raise DomainError(
            _(
                "Un des paiements cochés n'est plus à remettre ici : "
                "rechargez la page et vérifiez le bordereau."
            )
        )
    remittance = Remittance(
        group_id=group_id,
        kind=kind,
        producer_id=producer_id if kind == RemittanceKind.PRODUCER else None,
        remitted_on=today,
        total_cents=sum(line.amount_cents for line in lines),
        payments_count=len(lines),
        created_by_id=created_by_id,
    )
    with unique.first_one_wins(
        _("Ces paiements viennent d'être remis par quelqu'un d'autre."),
        existing=lambda: _existing_remittance(group_id, ids),
    ):
        db.session.add(remittance)
        db.session.flush()
        for line in lines:
            db.session.add(RemittanceItem(remittance_id=remittance.id, payment_id=line.payment_id))
    offline.mark_received(group_id=group_id, payment_ids=ids, now=now, today=today)
    if kind == RemittanceKind.PRODUCER:
        offline.mark_handed_over(group_id=group_id, payment_ids=ids, now=now)
    return remittance


def remittance_lines(remittance: Remittance) -> list[SlipLine]:
    """A remittance's payments as printed on its slip (one query)."""
    remitted = select(RemittanceItem.payment_id).where(
        RemittanceItem.remittance_id == remittance.id
    )
    return _lines(
        _lines_query(remittance.group_id, pending=False).where(OfflinePayment.id.in_(remitted))
    )


def recent_remittances(group_id: int, limit: int = 20) -> list[Remittance]:
    """The group's latest remittances, newest first (one query), to print a slip again."""
    return list(
        db.session.scalars(
            select(Remittance)
            .where(Remittance.group_id == group_id)
            .order_by(Remittance.id.desc())
            .limit(limit)
        )
    )
