"""The words and links of a card or SEPA payment's ledger entries (its label, its contract)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.cards.models import CardPayment
from marketplace.extensions import db
from marketplace.payments.entry_words import Words, words
from marketplace.payments.statements import subscriptions_table


def offer_of(subscription_id: int | None) -> int | None:
    if subscription_id is None:
        return None
    subscriptions = subscriptions_table()
    return db.session.scalar(
        select(subscriptions.c.offer_id).where(subscriptions.c.id == subscription_id)
    )


def payment_label(payment: CardPayment) -> Words:
    if payment.membership_id is not None:
        return words("card_fee_payment", method=payment.method)
    if payment.order_id is not None:
        return words("card_order_payment", id=payment.order_id, method=payment.method)
    return words("card_installment_payment", method=payment.method)


def refund_label(payment: CardPayment) -> Words:
    return words("card_refund", method=payment.method)
