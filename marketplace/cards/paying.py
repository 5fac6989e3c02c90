"""Paying now with a card or a SEPA mandate: what the pages need, without `request`.

Amounts always come from the database (the installment, the order), never from the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import Table, select

from marketplace.accounts.models import User
from marketplace.cards import expiry, gateway, settlement
from marketplace.cards.dunning import failure_reason
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db

# Past this delay without any answer, an attempt Stripe never acknowledged is given up (the
# webhook would still record it if Stripe had in fact created it).
STALE_AFTER = timedelta(minutes=15)
PLACED = "placed"  # OrderStatus.PLACED, a layer above


def orders_table() -> Table:
    (foreign_key,) = CardPayment.__table__.c.order_id.foreign_keys
    return foreign_key.column.table


@dataclass(frozen=True)
class OrderToPay:
    id: int
    user_id: int
    group_id: int
    total_cents: int
    status: str


def order_to_pay(order_id: int) -> OrderToPay | None:
    orders = orders_table()
    row = db.session.execute(
        select(
            orders.c.id,
            orders.c.user_id,
            orders.c.group_id,
            orders.c.total_cents,
            orders.c.status,
        ).where(
            orders.c.id == order_id,
            # A grocery's purchase is invoiced by the producer, never paid by card here.
            orders.c.grocery_id.is_(None),
        )
    ).first()
    return OrderToPay(*row) if row else None


def _target(installment_id: int | None, order_id: int | None, membership_id: int | None):
    if installment_id is not None:
        return CardPayment.installment_id == installment_id
    if membership_id is not None:
        return CardPayment.membership_id == membership_id
    return CardPayment.order_id == order_id


def settled_payment(*, installment_id: int | None = None, order_id: int | None = None):
    """The succeeded card payment of an installment or order, if any."""
    target = _target(installment_id, order_id, None)
    return db.session.scalar(
        select(CardPayment).where(target, CardPayment.state == CardPaymentState.SUCCEEDED.value)
    )


def refresh_live_attempt(
    *,
    installment_id: int | None = None,
    order_id: int | None = None,
    membership_id: int | None = None,
):
    """Ask Stripe what became of an attempt still under way; give up a stale unanswered one."""
    target = _target(installment_id, order_id, membership_id)
    payment = db.session.scalar(
        select(CardPayment).where(target, CardPayment.state.in_(settlement.LIVE_STATES))
    )
    if payment is None:
        return None
    if payment.stripe_payment_intent_id:
        settlement.record_intent(payment, gateway.retrieve_intent(payment.stripe_payment_intent_id))
        if expiry.is_abandoned(payment, utcnow()):
            expiry.expire(payment)  # the household may now pay with another card
    elif not payment.off_session and payment.created_at < utcnow() - STALE_AFTER:
        # An off-session attempt is the charging job's: it sends the same row again with the
        # same idempotency key, so Stripe never charges twice. Only an abandoned attempt made
        # on this page is given up.
        settlement.record_canceled(payment)
    return payment if payment.state in settlement.LIVE_STATES else None


def charge_now(payment: CardPayment, payment_method_id: str) -> CardPaymentState:
    """Create and confirm the intent; the state it reached (requires_action: 3-D Secure)."""
    try:
        intent = gateway.create_intent(payment, payment_method_id=payment_method_id, confirm=True)
    except gateway.CardDeclined as declined:
        settlement.record_failure(payment, code=declined.code, message=declined.message)
        # Stripe's message is in English: the household reads the reason in its language.
        raise DomainError(
            _("Paiement refusé par la banque : %(reason)s", reason=failure_reason(declined.code))
        ) from declined
    except gateway.GatewayUnavailable as error:
        raise DomainError(
            _(
                "Le service de paiement ne répond pas. Rien n'a été débité à notre connaissance : "
                "réessayez dans quelques minutes."
            )
        ) from error
    except gateway.GatewayRefused as error:
        settlement.record_failure(payment, code="refused", message=error.message)
        raise DomainError(
            _("Le paiement n'a pas pu être lancé : %(reason)s", reason=error.message)
        ) from error
    settlement.record_intent(payment, intent)
    return CardPaymentState(payment.state)


def own_payment(user: User, payment_id: int) -> CardPayment | None:
    payment = db.session.get(CardPayment, payment_id)
    if payment is None or payment.user_id != user.id:
        return None
    return payment


def refund(payment: CardPayment, amount_cents: int) -> None:
    """A coordinator gives back part or all of a succeeded payment (booked once, by refund id)."""
    if payment.state != CardPaymentState.SUCCEEDED.value:
        raise DomainError(_("Seul un paiement reçu peut être remboursé."), field="amount")
    left = settlement.refundable_cents(payment)
    if amount_cents <= 0 or amount_cents > left:
        raise DomainError(
            _("Le remboursement doit être compris entre 0,01 € et ce qui reste du paiement."),
            field="amount",
        )
    key = f"refund-{payment.id}-{payment.refunded_cents}-{amount_cents}"
    try:
        created = gateway.as_dict(gateway.create_refund(payment, amount_cents, key))
    except gateway.GatewayError as error:
        raise DomainError(
            _("Le remboursement n'a pas pu être fait : %(reason)s", reason=error.message),
            field="amount",
        ) from error
    settlement.record_refund(payment, refund_id=created["id"], amount_cents=created["amount"])
