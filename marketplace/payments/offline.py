"""Cheques, cash and bank transfers a coordinator records against installments.

A payment goes recorded → received (booked in the ledger, installment paid) → handed over to
the producer; a recorded one may be cancelled, and so may a received one (a bounced cheque),
which books the correction. Every bulk action skips the payments not in the right state, so
the same request sent twice books nothing twice; the rows changed are locked first.

Payments sits below baskets in the layering: subscriptions and offers are reached through
the foreign keys the models declare (see marketplace.payments.statements).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from marketplace import unique
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.entry_words import Words, words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import (
    EntryKind,
    Installment,
    InstallmentState,
    LedgerEntry,
    OfflineMethod,
    OfflinePayment,
    OfflinePaymentState,
)
from marketplace.payments.money import format_money
from marketplace.payments.offline_queries import OFFLINE_METHODS, refuse_if_paying_online
from marketplace.payments.statements import UNPAID_STATES, subscriptions_table

BANK_MAX, CHEQUE_NUMBER_MAX = 80, 40


# --- Recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    """One installment the household pays, as typed by the coordinator. `position` is the
    row of the form, so an error can be shown next to the field it concerns."""

    position: int
    installment_id: int
    method: str
    amount_cents: int | None
    bank: str = ""
    cheque_number: str = ""
    cash_on: date | None = None


def _field(line: PaymentLine, name: str) -> str:
    return f"rows-{line.position}-{name}"


def _normalised_bank(bank: str) -> str:
    return " ".join(bank.split())


def _normalised_cheque_number(number: str) -> str:
    return "".join(number.split())


def cheque_label(bank: str | None, number: str | None) -> str:
    return _("Chèque n° %(number)s (%(bank)s)", number=number, bank=bank)


def _lock(query: Select) -> Select:
    # Ignored by SQLite, which locks the whole database on write anyway.
    return query.with_for_update().execution_options(populate_existing=True)


def _check_line(line: PaymentLine, installment: Installment) -> None:
    if line.method not in OFFLINE_METHODS:
        raise DomainError(
            _("Choisissez chèque, espèces ou virement."), field=_field(line, "method")
        )
    if line.amount_cents is None:
        raise DomainError(_("Indiquez le montant reçu."), field=_field(line, "amount"))
    if line.amount_cents <= 0:
        raise DomainError(_("Le montant doit être supérieur à zéro."), field=_field(line, "amount"))
    if line.amount_cents != installment.amount_cents:
        raise DomainError(
            _(
                "Le montant doit être celui de l'échéance (%(amount)s) : "
                "les paiements partiels ne sont pas acceptés.",
                amount=format_money(installment.amount_cents),
            ),
            field=_field(line, "amount"),
        )
    if line.method != OfflineMethod.CHEQUE:
        return
    bank, number = _normalised_bank(line.bank), _normalised_cheque_number(line.cheque_number)
    if not bank:
        raise DomainError(_("Indiquez la banque du chèque."), field=_field(line, "bank"))
    if len(bank) > BANK_MAX:
        raise DomainError(
            _("%(max)d caractères au maximum.", max=BANK_MAX), field=_field(line, "bank")
        )
    if not number:
        raise DomainError(_("Indiquez le numéro du chèque."), field=_field(line, "cheque_number"))
    if len(number) > CHEQUE_NUMBER_MAX:
        raise DomainError(
            _("%(max)d caractères au maximum.", max=CHEQUE_NUMBER_MAX),
            field=_field(line, "cheque_number"),
        )


def _duplicate_cheque(line: PaymentLine) -> DomainError:
    return DomainError(
        _(
            "Ce chèque (%(bank)s, n° %(number)s) est déjà enregistré.",
            bank=_normalised_bank(line.bank),
            number=_normalised_cheque_number(line.cheque_number),
        ),
        field=_field(line, "cheque_number"),
    )


def _check_cheques_are_new(group_id: int, lines: list[PaymentLine]) -> None:
    cheques = [line for line in lines if line.method == OfflineMethod.CHEQUE]
    seen: set[tuple[str, str]] = set()
    for line in cheques:
        key = (
            _normalised_bank(line.bank).casefold(),
            _normalised_cheque_number(line.cheque_number),
        )
        if key in seen:
            raise _duplicate_cheque(line)
        seen.add(key)
    if not cheques:
        return
    numbers = {number for _bank, number in seen}
    existing = set(
        db.session.execute(
            select(func.lower(OfflinePayment.bank), OfflinePayment.cheque_number).where(
                OfflinePayment.group_id == group_id,
                OfflinePayment.cheque_number.in_(numbers),
                # A cancelled record (a mistake, a bounced cheque) may be recorded again.
                OfflinePayment.state != OfflinePaymentState.CANCELLED.value,
            )
        ).tuples()
    )
    existing = {(bank.casefold(), number) for bank, number in existing}
    for line in cheques:
        key = (
            _normalised_bank(line.bank).casefold(),
            _normalised_cheque_number(line.cheque_number),
        )
        if key in existing:
            raise _duplicate_cheque(line)


def _households_installments(group_id: int, user_id: int, ids: Iterable[int]) -> dict:
    """The household's installments among `ids` that belong to the group, locked."""
    subscriptions = subscriptions_table()
    installments = db.session.scalars(
        _lock(
            select(Installment)
            .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
            .where(
                Installment.id.in_(set(ids)),
                subscriptions.c.group_id == group_id,
                subscriptions.c.user_id == user_id,
            )
        )
    )
    return {installment.id: installment for installment in installments}


def record_payments(
    *, group_id: int, user_id: int, lines: list[PaymentLine], recorded_by_id: int
) -> list[OfflinePayment]:
    """Record what a household handed over, one payment per installment, all or nothing:
    each installment becomes pending until the money is marked as received."""
    if not lines:
        raise DomainError(_("Cochez au moins une échéance réglée."))
    installments = _households_installments(
        group_id, user_id, (line.installment_id for line in lines)
    )
    seen: set[int] = set()
    for line in lines:
        installment = installments.get(line.installment_id)
        if (
            installment is None
            or installment.state not in UNPAID_STATES
            or line.installment_id in seen
        ):
            raise DomainError(
                _(
                    "Une des échéances n'est plus à régler pour ce foyer : "
                    "rechargez la page et vérifiez la liste."
                )
            )
        seen.add(line.installment_id)
        _check_line(line, installment)
    refuse_if_paying_online(seen)
    _check_cheques_are_new(group_id, lines)

    payments = []
    with unique.first_one_wins(
        # Someone recorded the same cheque at the same moment: the constraint said no.
        _("Un de ces chèques vient d'être enregistré : vérifiez la liste des paiements.")
    ):
        for line in lines:
            payments.append(_new_payment(group_id, user_id, line, recorded_by_id))
            installments[line.installment_id].state = InstallmentState.PENDING.value
    return payments


def _new_payment(
    group_id: int, user_id: int, line: PaymentLine, recorded_by_id: int
) -> OfflinePayment:
    is_cheque = line.method == OfflineMethod.CHEQUE
    payment = OfflinePayment(
        group_id=group_id,
        user_id=user_id,
        installment_id=line.installment_id,
        method=line.method,
        amount_cents=line.amount_cents,
        bank=_normalised_bank(line.bank) if is_cheque else None,
        cheque_number=_normalised_cheque_number(line.cheque_number) if is_cheque else None,
        cash_on=line.cash_on if is_cheque else None,
        state=OfflinePaymentState.RECORDED.value,
        recorded_by_id=recorded_by_id,
    )
    db.session.add(payment)
    return payment


# --- Bulk actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    changed: int
    skipped: int


def _locked_payments(group_id: int, ids: set[int]) -> list[OfflinePayment]:
    """The group's payments among `ids` with their installments, all locked."""
    payments = list(
        db.session.scalars(
            _lock(
                select(OfflinePayment).where(
                    OfflinePayment.id.in_(ids), OfflinePayment.group_id == group_id
                )
            )
            .options(selectinload(OfflinePayment.user))
            .order_by(OfflinePayment.id)
        )
    )
    installment_ids = {payment.installment_id for payment in payments}
    if installment_ids:
        # Loaded (and locked) in one query; the relationship then reads from the session.
        list(
            db.session.scalars(
                _lock(select(Installment).where(Installment.id.in_(installment_ids)))
            )
        )
    return payments


def _offer_ids(installments: Iterable[Installment]) -> dict[int, int]:
    """subscription id → offer id, for linking ledger entries to their contract."""
    subscriptions = subscriptions_table()
    ids = {installment.subscription_id for installment in installments}
    if not ids:
        return {}
    rows = db.session.execute(
        select(subscriptions.c.id, subscriptions.c.offer_id).where(subscriptions.c.id.in_(ids))
    )
    return {subscription_id: offer_id for subscription_id, offer_id in rows}


def payment_label(payment: OfflinePayment) -> Words:
    """How the payment reads on the household's statement (in the reader's language)."""
    return words("offline_payment", **_payment_params(payment))


def _payment_params(payment: OfflinePayment) -> dict:
    if payment.method == OfflineMethod.CHEQUE:
        return {"method": payment.method, "bank": payment.bank, "number": payment.cheque_number}
    return {"method": payment.method}


def _book(
    payment: OfflinePayment,
    *,
    kind: EntryKind,
    amount_cents: int,
    reference: str,
    label: Callable[[OfflinePayment], Words],
    today: date,
    offer_ids: dict[int, int],
) -> LedgerEntry:
    installment = payment.installment
    return book_entry(
        user_id=payment.user_id,
        group_id=payment.group_id,
        kind=kind,
        amount_cents=amount_cents,
        occurred_on=today,
        **label(payment).fields(),
        offer_id=offer_ids.get(installment.subscription_id),
        subscription_id=installment.subscription_id,
        installment_id=installment.id,
        external_reference=reference,
    )


def mark_received(
    *, group_id: int, payment_ids: Iterable[int], now: datetime, today: date
) -> BulkOutcome:
    """Recorded payments become received: installment paid, one ledger payment each."""
    ids = set(payment_ids)
    payments = _locked_payments(group_id, ids)
    ready = [
        payment
        for payment in payments
        if payment.state == OfflinePaymentState.RECORDED
        and payment.installment.state == InstallmentState.PENDING
    ]
    offer_ids = _offer_ids(payment.installment for payment in ready)
    for payment in ready:
        entry = _book(
            payment,
            kind=EntryKind.PAYMENT,
            amount_cents=payment.amount_cents,
            reference=f"offline:{payment.id}",
            label=payment_label,
            today=today,
            offer_ids=offer_ids,
        )
        payment.state = OfflinePaymentState.RECEIVED.value
        payment.received_at = now
        payment.ledger_entry_id = entry.id
        payment.installment.state = InstallmentState.PAID.value
        payment.installment.paid_at = now
    db.session.flush()
    return BulkOutcome(changed=len(ready), skipped=len(ids) - len(ready))


def mark_handed_over(*, group_id: int, payment_ids: Iterable[int], now: datetime) -> BulkOutcome:
    """Received payments are passed on to the producer, and so are their installments."""
    ids = set(payment_ids)
    payments = _locked_payments(group_id, ids)
    ready = [
        payment
        for payment in payments
        if payment.state == OfflinePaymentState.RECEIVED
        and payment.installment.state == InstallmentState.PAID
    ]
    for payment in ready:
        payment.state = OfflinePaymentState.HANDED_OVER.value
        payment.handed_over_at = now
        payment.installment.state = InstallmentState.HANDED_OVER.value
        payment.installment.handed_over_at = now
    db.session.flush()
    return BulkOutcome(changed=len(ready), skipped=len(ids) - len(ready))


def _cancellation_label(payment: OfflinePayment) -> Words:
    return words("offline_cancelled", **_payment_params(payment))


def cancel_payments(*, group_id: int, payment_ids: Iterable[int], today: date) -> BulkOutcome:
    """A recorded payment is dropped (the installment is to pay again); a received one
    (a bounced cheque) is taken back out of the ledger and its installment marked failed.
    Money already handed to the producer is not cancelled here."""
    ids = set(payment_ids)
    payments = _locked_payments(group_id, ids)
    recorded = [p for p in payments if p.state == OfflinePaymentState.RECORDED]
    received = [p for p in payments if p.state == OfflinePaymentState.RECEIVED]
    offer_ids = _offer_ids(payment.installment for payment in received)
    for payment in recorded:
        payment.state = OfflinePaymentState.CANCELLED.value
        if payment.installment.state == InstallmentState.PENDING:
            payment.installment.state = InstallmentState.PLANNED.value
    for payment in received:
        _book(
            payment,
            kind=EntryKind.ADJUSTMENT,
            amount_cents=-payment.amount_cents,
            reference=f"offline:{payment.id}:cancelled",
            label=_cancellation_label,
            today=today,
            offer_ids=offer_ids,
        )
        payment.state = OfflinePaymentState.CANCELLED.value
        payment.installment.state = InstallmentState.FAILED.value
        payment.installment.paid_at = None
    db.session.flush()
    changed = len(recorded) + len(received)
    return BulkOutcome(changed=changed, skipped=len(ids) - changed)
