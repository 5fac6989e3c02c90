"""Changing a subscription's payment schedule once it is signed: the season grows or shrinks.

Installments money has already moved for are never touched. Lowering takes the amount off the
unpaid installments from the last backwards (an installment brought to nothing is cancelled);
what cannot be taken off because it was already paid is left to the ledger, as a balance in
the household's favour. Raising adds new installments after the last one, never changes one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from marketplace.baskets.schedule import PlannedInstallment
from marketplace.cards.settlement import live_attempts
from marketplace.extensions import db
from marketplace.payments.models import Installment, InstallmentState
from marketplace.payments.statements import UNPAID_STATES


def paying_online(subscription_id: int) -> bool:
    """True while a card or SEPA attempt is under way on one of the contract's installments."""
    ids = db.session.scalars(
        select(Installment.id).where(Installment.subscription_id == subscription_id)
    ).all()
    return bool(live_attempts(ids))


def lower_unpaid_installments(subscription_id: int, amount_cents: int) -> int:
    """Take `amount_cents` off the unpaid installments, the last ones first; return what could
    not be taken off (already paid: the household's credit)."""
    unpaid = db.session.scalars(
        select(Installment)
        .where(
            Installment.subscription_id == subscription_id,
            Installment.state.in_(UNPAID_STATES),
        )
        .order_by(Installment.sequence.desc())
        .with_for_update()
    ).all()
    # An installment being paid online keeps its amount: the card is charged what it showed.
    busy = {payment.installment_id for payment in live_attempts([i.id for i in unpaid])}
    left = amount_cents
    for installment in unpaid:
        if left <= 0:
            break
        if installment.id in busy:
            continue
        if installment.amount_cents <= left:
            left -= installment.amount_cents
            installment.state = InstallmentState.CANCELLED.value
        else:
            installment.amount_cents -= left
            left = 0
    return max(left, 0)


def append_installments(
    subscription_id: int, planned: list[PlannedInstallment], today: date
) -> list[Installment]:
    """Add `planned` after the subscription's last installment, none due before `today`."""
    last = db.session.scalar(
        select(func.coalesce(func.max(Installment.sequence), 0)).where(
            Installment.subscription_id == subscription_id
        )
    )
    added = [
        Installment(
            subscription_id=subscription_id,
            sequence=last + position,
            due_on=max(item.due_on, today),
            amount_cents=item.amount_cents,
        )
        for position, item in enumerate(planned, start=1)
    ]
    db.session.add_all(added)
    db.session.flush()
    return added
