"""Bank reconciliation: each statement line kept once, matched to what it pays.

Credits: a debit batch (its reference, or its exact total) is collected; a transfer (its
reference SLUG-subscription-sequence, as the how-to-pay page gives it, and its amount) pays
its installment as a received transfer. Debits: a returned direct debit (its end-to-end id
and amount) is recorded as a return. Everything else waits for a person to match it by hand
(choose the installment) or ignore it. Importing the same statement twice changes nothing:
each line's entry reference is unique per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace import unique
from marketplace.baskets.models import Subscription
from marketplace.direct_debit import batches
from marketplace.direct_debit.models import (
    BatchState,
    DebitBatch,
    ItemState,
    LineState,
    StatementLine,
)
from marketplace.direct_debit.statements import ParsedLine, transfer_reference
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments import offline
from marketplace.payments.models import Installment, OfflineMethod
from marketplace.payments.statements import UNPAID_STATES

UNKNOWN_RETURN = "MS03"  # "reason not specified", when the statement gives none


@dataclass(frozen=True)
class ImportOutcome:
    new: int
    already: int
    matched: int


def import_lines(
    group: Organisation, parsed: list[ParsedLine], *, by_id: int, today: date, now: datetime
) -> ImportOutcome:
    known = set(
        db.session.scalars(
            select(StatementLine.entry_reference).where(
                StatementLine.group_id == group.id,
                StatementLine.entry_reference.in_({line.entry_reference for line in parsed}),
            )
        )
    )
    fresh, seen = [], set(known)
    for line in parsed:
        if line.entry_reference not in seen:
            seen.add(line.entry_reference)
            fresh.append(line)
    rows = [
        StatementLine(
            group_id=group.id,
            entry_reference=line.entry_reference,
            booked_on=line.booked_on,
            amount_cents=line.amount_cents,
            label=line.label,
            reference=line.reference,
            return_code=line.return_code,
        )
        for line in fresh
    ]
    with unique.first_one_wins(_("Ce relevé vient d'être importé : rechargez la page.")):
        db.session.add_all(rows)
    matched = sum(1 for row in rows if _match(group, row, by_id=by_id, today=today, now=now))
    return ImportOutcome(new=len(rows), already=len(parsed) - len(rows), matched=matched)


def _match(
    group: Organisation, row: StatementLine, *, by_id: int, today: date, now: datetime
) -> bool:
    if row.amount_cents > 0:
        # A bank that credits each debit on its own line names it by its end-to-end id.
        single = batches.item_by_end_to_end(group.id, row.reference)
        if (
            single is not None
            and single.state == ItemState.SUBMITTED
            and single.amount_cents == row.amount_cents
        ):
            batches.collect(single.batch, today=today, now=now, only=single)
            row.batch_id, row.batch_item_id = single.batch_id, single.id
            row.state = LineState.MATCHED.value
            return True
        batch = _batch_for(group.id, row)
        if batch is not None:
            batches.collect(batch, today=today, now=now)
            row.batch_id, row.state = batch.id, LineState.MATCHED.value
            return True
        installment = _transfer_for(group, row)
        if installment is not None:
            try:
                _pay_by_transfer(group.id, installment, by_id=by_id, today=today, now=now)
            except DomainError:
                return False
            row.installment_id, row.state = installment.id, LineState.MATCHED.value
            return True
        return False
    item = batches.item_by_end_to_end(group.id, row.reference)
    if item is None or item.amount_cents != -row.amount_cents or item.state == ItemState.RETURNED:
        return False
    batches.record_return(item, code=row.return_code or UNKNOWN_RETURN, today=today)
    row.batch_item_id, row.state = item.id, LineState.MATCHED.value
    db.session.flush()
    return True


def _batch_for(group_id: int, row: StatementLine) -> DebitBatch | None:
    submitted = list(
        db.session.scalars(
            select(DebitBatch).where(
                DebitBatch.group_id == group_id,
                DebitBatch.state == BatchState.SUBMITTED.value,
            )
        )
    )
    text = f"{row.reference} {row.label}"
    # Its reference, or else its exact total; either way the amount must be what is still due.
    by_reference = [batch for batch in submitted if batch.reference in text]
    candidates = by_reference or submitted
    by_total = [batch for batch in candidates if _still_due(batch) == row.amount_cents]
    return by_total[0] if len(by_total) == 1 else None


def _still_due(batch: DebitBatch) -> int:
    return sum(item.amount_cents for item in batch.items if item.state != ItemState.RETURNED)


def _transfer_for(group: Organisation, row: StatementLine) -> Installment | None:
    found = transfer_reference(group.slug, f"{row.reference} {row.label}")
    if found is None:
        return None
    installment = db.session.scalars(
        select(Installment)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .where(
            Subscription.group_id == group.id,
            Installment.subscription_id == found[0],
            Installment.sequence == found[1],
        )
    ).first()
    if (
        installment is None
        or installment.state not in UNPAID_STATES
        or installment.amount_cents != row.amount_cents
    ):
        return None
    return installment


def _pay_by_transfer(
    group_id: int, installment: Installment, *, by_id: int, today: date, now: datetime
) -> None:
    subscription = db.session.get(Subscription, installment.subscription_id)
    payments = offline.record_payments(
        group_id=group_id,
        user_id=subscription.user_id,
        lines=[
            offline.PaymentLine(
                position=0,
                installment_id=installment.id,
                method=OfflineMethod.TRANSFER.value,
                amount_cents=installment.amount_cents,
            )
        ],
        recorded_by_id=by_id,
    )
    offline.mark_received(
        group_id=group_id, payment_ids=[payment.id for payment in payments], now=now, today=today
    )


def unmatched(group_id: int) -> list[StatementLine]:
    return list(
        db.session.scalars(
            select(StatementLine)
            .where(
                StatementLine.group_id == group_id,
                StatementLine.state == LineState.UNMATCHED.value,
            )
            .order_by(StatementLine.booked_on, StatementLine.id)
        )
    )


def group_line(group_id: int, line_id: int) -> StatementLine | None:
    line = db.session.get(StatementLine, line_id)
    return line if line is not None and line.group_id == group_id else None


def match_by_hand(
    group_id: int,
    line: StatementLine,
    installment_id: int,
    *,
    by_id: int,
    today: date,
    now: datetime,
) -> None:
    """A person says which installment a credit pays (same amount, still unpaid)."""
    if line.state != LineState.UNMATCHED.value or line.amount_cents <= 0:
        raise DomainError(_("Cette ligne n'est plus à rapprocher."))
    installment = db.session.scalars(
        select(Installment)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .where(Installment.id == installment_id, Subscription.group_id == group_id)
    ).first()
    if installment is None or installment.state not in UNPAID_STATES:
        raise DomainError(_("Cette échéance n'est plus à payer."), field="installment")
    if installment.amount_cents != line.amount_cents:
        raise DomainError(
            _("Le montant de l'échéance n'est pas celui de la ligne du relevé."),
            field="installment",
        )
    _pay_by_transfer(group_id, installment, by_id=by_id, today=today, now=now)
    line.installment_id, line.state = installment.id, LineState.MATCHED.value
    db.session.flush()


def ignore(line: StatementLine) -> None:
    if line.state == LineState.UNMATCHED.value:
        line.state = LineState.IGNORED.value
        db.session.flush()
