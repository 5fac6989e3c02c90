"""Attempts that wait for the household expire: cancelled at Stripe, the installment payable.

A card payment started on the page and left at its 3-D Secure step would otherwise stay
"under way" for good: the scheduler skips the installment, the household cannot try another
card and a coordinator cannot record a cheque. After CARD_ACTION_EXPIRES_HOURS (a setting,
24 h by default) the intent is cancelled at Stripe and the attempt with it (if the household
completed it meanwhile, Stripe says so and the success is kept instead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from marketplace.cards import gateway, settlement
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.extensions import db

logger = logging.getLogger(__name__)


def action_expiry() -> timedelta:
    return timedelta(hours=current_app.config.get("CARD_ACTION_EXPIRES_HOURS", 24))


def is_abandoned(payment: CardPayment, now: datetime) -> bool:
    return (
        payment.state == CardPaymentState.REQUIRES_ACTION.value
        and payment.created_at < now - action_expiry()
    )


def expire(payment: CardPayment) -> None:
    """Cancel one abandoned attempt at Stripe, then here (flushes; raises GatewayUnavailable)."""
    if payment.stripe_payment_intent_id:
        try:
            intent = gateway.cancel_intent(payment.stripe_payment_intent_id)
        except gateway.GatewayRefused:
            # Stripe will not cancel it: completed meanwhile, or already cancelled there.
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
        settlement.record_intent(payment, intent)
    if payment.state == CardPaymentState.REQUIRES_ACTION.value:
        settlement.record_canceled(payment)
    if payment.state == CardPaymentState.CANCELED.value and not payment.failure_code:
        payment.failure_code = "abandoned"
        db.session.flush()


def expire_abandoned_attempts(now: datetime, *, commit: Callable[[], None]) -> int:
    """Expire every attempt left waiting for the household too long; how many were."""
    ids = db.session.scalars(
        select(CardPayment.id).where(
            CardPayment.state == CardPaymentState.REQUIRES_ACTION.value,
            CardPayment.created_at < now - action_expiry(),
        )
    ).all()
    expired = 0
    for payment_id in ids:
        payment = db.session.get(CardPayment, payment_id)
        try:
            expire(payment)
            commit()
            expired += 1
        except gateway.GatewayUnavailable:
            db.session.rollback()
            logger.warning("Stripe unreachable: attempt %s expires on a later run", payment_id)
        except Exception:  # one attempt never stops the run: logged, tried again next run
            db.session.rollback()
            logger.exception("Attempt %s could not be expired", payment_id)
    return expired
