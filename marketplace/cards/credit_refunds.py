"""Refunding a household's credit (payments/credits.py), by card through Stripe or recorded as a
cheque or a transfer: `refund_credit` is the one entry point.

A card refund gives back money of the cancelled contract's own card payments (the succeeded
ones, most recent first, one payment when one can carry it all). The credit's part is taken
first (one conditional UPDATE, the form's key stored once), then Stripe is called with an
idempotency key made from that settlement, then each Stripe refund is booked once by its id
(cards.settlement.record_refund: a REFUND entry on the contract, the webhook finds it booked).
If Stripe refuses, the service raises and the caller rolls everything back.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.cards import gateway, settlement
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import credits
from marketplace.payments.credit_models import (
    CreditSettlement,
    HouseholdCredit,
    RefundMethod,
    SettlementKind,
)
from marketplace.payments.models import Installment
from marketplace.payments.money import format_money


def refund_credit(
    credit: HouseholdCredit,
    amount_cents: int,
    method: RefundMethod | str,
    *,
    by_user_id: int | None,
    now: datetime,
    reference: str = "",
    request_key: str | None = None,
) -> CreditSettlement:
    """Give back `amount_cents` of the credit to the household, once per request key."""
    method = RefundMethod(method)
    if method != RefundMethod.CARD:
        return credits.record_refund(
            credit,
            amount_cents,
            method,
            by_user_id=by_user_id,
            now=now,
            reference=reference,
            request_key=request_key,
        )
    return _refund_by_card(credit, amount_cents, by_user_id, now, request_key)


def card_refundable_cents(subscription_ids: set[int]) -> dict[int, int]:
    """Per contract, what its succeeded card payments can still give back (one query)."""
    if not subscription_ids:
        return {}
    rows = db.session.execute(
        select(Installment.subscription_id, CardPayment.amount_cents, CardPayment.refunded_cents)
        .join(Installment, Installment.id == CardPayment.installment_id)
        .where(
            Installment.subscription_id.in_(subscription_ids),
            CardPayment.state == CardPaymentState.SUCCEEDED.value,
        )
    )
    refundable: dict[int, int] = {}
    for subscription_id, amount, refunded in rows:
        refundable[subscription_id] = refundable.get(subscription_id, 0) + amount - refunded
    return refundable


def _refund_by_card(
    credit: HouseholdCredit,
    amount_cents: int,
    by_user_id: int | None,
    now: datetime,
    request_key: str | None,
) -> CreditSettlement:
    payments = _card_payments(credit.subscription_id)
    refundable = sum(settlement.refundable_cents(payment) for payment in payments)
    if amount_cents > refundable and not _made(request_key):
        raise DomainError(
            _(
                "Les paiements par carte de ce contrat ne peuvent rembourser que %(max)s : "
                "remboursez le reste par chèque ou par virement.",
                max=format_money(refundable),
            ),
            field="amount",
        )
    made, new = credits.begin_settlement(
        credit,
        kind=SettlementKind.REFUND,
        amount_cents=amount_cents,
        by_user_id=by_user_id,
        now=now,
        request_key=request_key,
        method=RefundMethod.CARD,
    )
    if not new:
        return made
    refund_ids = []
    for payment, part in _split(payments, amount_cents):
        try:
            created = gateway.as_dict(
                gateway.create_refund(payment, part, f"credit-{made.id}-{payment.id}")
            )
        except gateway.GatewayError as error:
            raise DomainError(
                _("Le remboursement n'a pas pu être fait : %(reason)s", reason=error.message),
                field="amount",
            ) from error
        settlement.record_refund(payment, refund_id=created["id"], amount_cents=created["amount"])
        refund_ids.append(created["id"])
    made.reference = ", ".join(refund_ids)[:200]
    db.session.flush()
    return made


def _card_payments(subscription_id: int) -> list[CardPayment]:
    """The contract's succeeded card payments with money left to give back, newest first."""
    payments = db.session.scalars(
        select(CardPayment)
        .join(Installment, Installment.id == CardPayment.installment_id)
        .where(
            Installment.subscription_id == subscription_id,
            CardPayment.state == CardPaymentState.SUCCEEDED.value,
        )
        .order_by(CardPayment.created_at.desc(), CardPayment.id.desc())
        .with_for_update()
    ).all()
    return [payment for payment in payments if settlement.refundable_cents(payment) > 0]


def _split(payments: list[CardPayment], amount_cents: int) -> list[tuple[CardPayment, int]]:
    """One payment if one can give it all back, else the newest first."""
    for payment in payments:
        if settlement.refundable_cents(payment) >= amount_cents:
            return [(payment, amount_cents)]
    parts, left = [], amount_cents
    for payment in payments:
        if left == 0:
            break
        part = min(left, settlement.refundable_cents(payment))
        parts.append((payment, part))
        left -= part
    return parts


def _made(request_key: str | None) -> bool:
    return request_key is not None and bool(
        db.session.scalar(
            select(CreditSettlement.id).where(CreditSettlement.request_key == request_key)
        )
    )
