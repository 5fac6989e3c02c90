"""What the direct-debit pages list, each in one query whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, Subscription
from marketplace.direct_debit.models import DebitBatchItem, DebitMandate
from marketplace.extensions import db
from marketplace.payments.models import Installment
from marketplace.payments.statements import UNPAID_STATES


@dataclass(frozen=True)
class UnpaidChoice:
    id: int
    household: str
    offer_name: str
    due_on: date
    amount_cents: int


def unpaid_choices(group_id: int) -> list[UnpaidChoice]:
    """The group's unpaid installments, to say by hand which one a bank credit pays."""
    rows = db.session.execute(
        select(
            Installment.id,
            User.name,
            BasketOffer.name,
            Installment.due_on,
            Installment.amount_cents,
        )
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.group_id == group_id, Installment.state.in_(UNPAID_STATES))
        .order_by(User.name, Installment.due_on, Installment.id)
    ).all()
    return [UnpaidChoice(*row) for row in rows]


@dataclass(frozen=True)
class BatchLine:
    item: DebitBatchItem
    household: str
    mandate_reference: str
    due_on: date


def batch_items(batch_id: int) -> list[BatchLine]:
    rows = db.session.execute(
        select(DebitBatchItem, User.name, DebitMandate.reference, Installment.due_on)
        .join(User, User.id == DebitBatchItem.user_id)
        .join(DebitMandate, DebitMandate.id == DebitBatchItem.mandate_id)
        .join(Installment, Installment.id == DebitBatchItem.installment_id)
        .where(DebitBatchItem.batch_id == batch_id)
        .order_by(DebitBatchItem.id)
    ).all()
    return [BatchLine(*row) for row in rows]
