"""Batches of debits: the pain.008.001.02 file of the installments due, their collection
booked once in the ledger, and returns (R-transactions) followed up like a refused card.

An installment is in one batch at most (unique constraint on the items); a batch is asked
for with the form's key, so a double click gets the same file. The file is validated against
the pain.008.001.02 schema before anything is kept (sepaxml, validation on).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select

from marketplace import unique
from marketplace.baskets.models import Subscription, SubscriptionStatus
from marketplace.cards import dunning
from marketplace.cards.installments import context_of
from marketplace.direct_debit.models import (
    BatchState,
    DebitBatch,
    DebitBatchItem,
    DebitChoice,
    DebitMandate,
    DebitNotice,
    DebitSettings,
    ItemState,
)
from marketplace.direct_debit.returns import reason_of
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.entry_words import words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, Installment, InstallmentState, PaymentMethod

logger = logging.getLogger(__name__)

# A batch takes the debits notified for the coming days: the bank needs the file the
# business day before the collection (CORE, D-1), so one batch a week suffices.
HORIZON_DAYS = 7
PAYMENT_REFERENCE = "debit:{}"
RETURN_REFERENCE = "debit:{}:returned"


@dataclass(frozen=True)
class DueDebit:
    installment: Installment
    mandate: DebitMandate
    notice: DebitNotice
    user_name: str


def due_debits(group_id: int, today: date) -> list[DueDebit]:
    """Notified installments of the group to debit within the horizon, never batched."""
    rows = db.session.execute(
        select(Installment, DebitMandate, DebitNotice)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(DebitChoice, DebitChoice.subscription_id == Subscription.id)
        .join(DebitMandate, DebitMandate.id == DebitChoice.mandate_id)
        .join(DebitNotice, DebitNotice.installment_id == Installment.id)
        .where(
            Subscription.group_id == group_id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            Subscription.payment_method == PaymentMethod.DIRECT_DEBIT.value,
            DebitMandate.revoked_at.is_(None),
            Installment.state == InstallmentState.PLANNED.value,
            DebitNotice.debit_on <= today + timedelta(days=HORIZON_DAYS),
            ~exists().where(DebitBatchItem.installment_id == Installment.id),
        )
        .order_by(DebitNotice.debit_on, Installment.id)
    ).all()
    return [DueDebit(i, m, n, m.signer_name) for i, m, n in rows]


def _first_debited(mandate_ids: set[int]) -> set[int]:
    """Mandates already debited (submitted or collected): their next debit is recurring."""
    if not mandate_ids:
        return set()
    return set(
        db.session.scalars(
            select(DebitBatchItem.mandate_id).where(
                DebitBatchItem.mandate_id.in_(mandate_ids),
                DebitBatchItem.state != ItemState.RETURNED.value,
            )
        )
    )


def build_batch(
    *,
    group_id: int,
    settings: DebitSettings,
    request_key: str,
    created_by_id: int,
    today: date,
) -> DebitBatch:
    existing = _batch_by_key(request_key)
    if existing is not None:
        return existing  # the same form sent twice
    due = due_debits(group_id, today)
    if not due:
        raise DomainError(_("Aucune échéance n'est à prélever pour l'instant."))
    used = _first_debited({debit.mandate.id for debit in due})
    from sepaxml import SepaDD  # only the debit file needs it
    from sepaxml.validation import ValidationError

    sepa = SepaDD(
        {
            "name": settings.creditor_name,
            "IBAN": settings.iban,
            "BIC": settings.bic,
            "batch": True,
            "creditor_id": settings.creditor_id,
            "currency": "EUR",
        },
        schema="pain.008.001.02",
        clean=True,
    )
    reference = sepa.msg_id[:35]
    batch = DebitBatch(
        group_id=group_id,
        reference=reference,
        request_key=request_key,
        total_cents=sum(debit.installment.amount_cents for debit in due),
        item_count=len(due),
        created_by_id=created_by_id,
        xml="",
    )
    items = []
    for position, debit in enumerate(due, start=1):
        sequence = "RCUR" if debit.mandate.id in used else "FRST"
        used.add(debit.mandate.id)
        collection = max(debit.notice.debit_on, today + timedelta(days=1))
        item = DebitBatchItem(
            installment_id=debit.installment.id,
            mandate_id=debit.mandate.id,
            user_id=debit.mandate.user_id,
            amount_cents=debit.installment.amount_cents,
            collection_date=collection,
            sequence_type=sequence,
            end_to_end_id=f"{reference}-{position}"[:35],
        )
        items.append(item)
        sepa.add_payment(
            {
                "name": debit.mandate.signer_name,
                "IBAN": debit.mandate.iban,
                "BIC": debit.mandate.bic,
                "amount": debit.installment.amount_cents,
                "type": sequence,
                "collection_date": collection,
                "mandate_id": debit.mandate.reference,
                "mandate_date": debit.mandate.signed_on,
                "description": f"Echeance {debit.installment.sequence} contrat "
                f"{debit.installment.subscription_id}",
                "endtoend_id": item.end_to_end_id,
            }
        )
    try:
        batch.xml = sepa.export(validate=True).decode()
    except ValidationError:
        # Never a file the bank would refuse: every value was checked when it was typed, so
        # this is a bug to report, not something a coordinator can mend.
        logger.exception("The pain.008 file of group %s is not valid", group_id)
        raise DomainError(
            _("Le fichier de prélèvements n'a pas pu être préparé : prévenez l'équipe du site.")
        ) from None
    try:
        with unique.first_one_wins(
            _("Ces échéances viennent d'être mises dans un autre lot : rechargez la page."),
            existing=lambda: _batch_by_key(request_key),
        ):
            db.session.add(batch)
            db.session.flush()
            for item in items:
                item.batch_id = batch.id
                db.session.add(item)
            for debit in due:
                debit.installment.state = InstallmentState.PENDING.value
    except unique.AlreadyCreatedError as error:
        if error.existing is not None:
            return error.existing  # the same form, sent twice at once: the first one's batch
        raise
    return batch


def _batch_by_key(request_key: str) -> DebitBatch | None:
    return db.session.scalars(
        select(DebitBatch).where(DebitBatch.request_key == request_key)
    ).first()


def _offer_id(installment: Installment) -> int:
    # The producer's prefinancing statement counts payments by contract (ledger offer_id).
    return db.session.get(Subscription, installment.subscription_id).offer_id


def collect(
    batch: DebitBatch, *, today: date, now: datetime, only: DebitBatchItem | None = None
) -> int:
    """The bank credited the batch (or, `only`, one of its debits): each debit not returned
    is paid, booked once."""
    collected = 0
    for item in batch.items:
        if item.state != ItemState.SUBMITTED.value or (only is not None and item is not only):
            continue
        installment = item.installment
        entry = book_entry(
            user_id=item.user_id,
            group_id=batch.group_id,
            kind=EntryKind.PAYMENT,
            amount_cents=item.amount_cents,
            occurred_on=today,
            **words("group_debit").fields(),
            offer_id=_offer_id(installment),
            subscription_id=installment.subscription_id,
            installment_id=installment.id,
            external_reference=PAYMENT_REFERENCE.format(item.end_to_end_id),
        )
        item.state = ItemState.COLLECTED.value
        item.ledger_entry_id = entry.id
        installment.state = InstallmentState.PAID.value
        installment.paid_at = now
        collected += 1
    if all(item.state != ItemState.SUBMITTED.value for item in batch.items):
        batch.state = BatchState.COLLECTED.value
        batch.collected_at = batch.collected_at or now
    db.session.flush()
    return collected


def record_return(item: DebitBatchItem, *, code: str, today: date) -> bool:
    """The household's bank rejected or returned the debit: unpaid again, the payment reversed
    if it was booked, the household and coordinators told as for a refused card."""
    code = code.strip().upper()[:4]
    if not code:
        raise DomainError(_("Indiquez le code du motif de rejet (par exemple AM04)."), field="code")
    if item.state == ItemState.RETURNED.value:
        return False
    installment = item.installment
    if item.state == ItemState.COLLECTED.value:
        book_entry(
            user_id=item.user_id,
            group_id=item.batch.group_id,
            kind=EntryKind.ADJUSTMENT,
            amount_cents=-item.amount_cents,
            occurred_on=today,
            **words("debit_returned").fields(),
            offer_id=_offer_id(installment),
            subscription_id=installment.subscription_id,
            installment_id=installment.id,
            external_reference=RETURN_REFERENCE.format(item.end_to_end_id),
        )
    item.state = ItemState.RETURNED.value
    item.return_code = code
    item.returned_on = today
    installment.paid_at = None
    installment.state = InstallmentState.FAILED.value
    db.session.flush()
    context = context_of(installment.id)
    if context is not None:
        dunning.on_returned_elsewhere(context, reason=reason_of(code))
    return True


def batches_of(group_id: int) -> list[DebitBatch]:
    return list(
        db.session.scalars(
            select(DebitBatch).where(DebitBatch.group_id == group_id).order_by(DebitBatch.id.desc())
        )
    )


def group_batch(group_id: int, batch_id: int) -> DebitBatch | None:
    batch = db.session.get(DebitBatch, batch_id)
    return batch if batch is not None and batch.group_id == group_id else None


def group_item(group_id: int, item_id: int) -> DebitBatchItem | None:
    item = db.session.get(DebitBatchItem, item_id)
    return item if item is not None and item.batch.group_id == group_id else None


def item_by_end_to_end(group_id: int, end_to_end_id: str) -> DebitBatchItem | None:
    item = db.session.scalars(
        select(DebitBatchItem).where(DebitBatchItem.end_to_end_id == end_to_end_id)
    ).first()
    return item if item is not None and item.batch.group_id == group_id else None
