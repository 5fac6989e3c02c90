"""Charging due installments off-session with the household's saved card or SEPA mandate.

A Stripe call cannot be rolled back, so each attempt is written and COMMITTED (with the
idempotency key it will be sent with) before Stripe is called, and its outcome committed
right after: the boundary (the job, the coordinators' "retry now") passes its `commit`.
When Stripe cannot be reached the row stays `creating`; a later run sends the same row
again, with the same key, so Stripe never charges twice. A `creating` row younger than
`IN_FLIGHT` may belong to a request still waiting for Stripe's answer: it is left alone.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from marketplace.cards import gateway, settlement
from marketplace.cards.dunning import on_missing_method
from marketplace.cards.installments import (
    ACTIVE_SUBSCRIPTION,
    STRIPE_PAYMENT_METHODS,
    InstallmentContext,
    context_of,
    default_methods,
)
from marketplace.cards.models import (
    LIVE_CARD_PAYMENT_STATES,
    CardPayment,
    CardPaymentState,
    SavedPaymentMethod,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import Installment, InstallmentState
from marketplace.payments.statements import subscriptions_table

logger = logging.getLogger(__name__)

IN_FLIGHT = timedelta(minutes=10)
LIVE_STATES = tuple(state.value for state in LIVE_CARD_PAYMENT_STATES)


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"  # a SEPA debit: the webhook says later
    FAILED = "failed"  # refused, or the bank wants the household to confirm
    NO_METHOD = "no_method"  # nothing saved to charge: the household was asked to pay online
    UNAVAILABLE = "unavailable"  # Stripe unreachable: the same row is sent again next run
    SKIPPED = "skipped"  # already paid, or an attempt is under way


@dataclass(frozen=True)
class ChargeSummary:
    counts: dict[str, int]

    def __str__(self) -> str:
        parts = [f"{name}: {count}" for name, count in sorted(self.counts.items())]
        return ", ".join(parts) or "rien à prélever"


def _chargeable(today: date):
    """Installments to charge today: planned and due, or failed with a retry due."""
    return and_(
        Installment.due_on <= today,
        or_(
            Installment.state == InstallmentState.PLANNED.value,
            and_(
                Installment.state == InstallmentState.FAILED.value,
                Installment.charge_retry_on <= today,
            ),
        ),
    )


def installments_to_charge(today: date) -> list[int]:
    subscriptions = subscriptions_table()
    return list(
        db.session.scalars(
            select(Installment.id)
            .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
            .where(
                _chargeable(today),
                subscriptions.c.status == ACTIVE_SUBSCRIPTION,
                subscriptions.c.payment_method.in_(STRIPE_PAYMENT_METHODS),
            )
            .order_by(Installment.due_on, Installment.id)
        )
    )


def charge_due_installments(
    today: date, *, now: datetime, commit: Callable[[], None]
) -> ChargeSummary:
    """Charge every due installment of card and SEPA subscriptions (see the module's doc)."""
    outcomes = Counter(
        charge_installment(installment_id, today, now=now, commit=commit)
        for installment_id in installments_to_charge(today)
    )
    return ChargeSummary(dict(outcomes))


def charge_installment(
    installment_id: int, today: date, *, now: datetime, commit: Callable[[], None]
) -> str:
    """One off-session attempt for one installment, if it is still due; returns an Outcome."""
    payment = _prepare(installment_id, today, now)
    commit()
    if not isinstance(payment, CardPayment):
        return payment
    outcome = _send(payment)
    commit()
    return outcome


def _prepare(installment_id: int, today: date, now: datetime) -> CardPayment | str:
    """The row to send to Stripe (a new one, or one left `creating` by an outage)."""
    installment = db.session.scalars(
        select(Installment)
        .where(Installment.id == installment_id, _chargeable(today))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if installment is None:
        return Outcome.SKIPPED  # paid or retried meanwhile
    live = db.session.scalars(
        select(CardPayment).where(
            CardPayment.installment_id == installment_id, CardPayment.state.in_(LIVE_STATES)
        )
    ).first()
    if live is not None:
        abandoned = live.state == CardPaymentState.CREATING.value and (
            live.created_at < now - IN_FLIGHT
        )
        return live if abandoned and live.off_session else Outcome.SKIPPED
    context = context_of(installment_id)
    if context is None or not context.pays_through_stripe:
        return Outcome.SKIPPED
    saved = default_methods([context.user.id]).get(context.user.id)
    if saved is None:
        on_missing_method(context)
        return Outcome.NO_METHOD
    return _new_payment(context, saved)


def _new_payment(context: InstallmentContext, saved: SavedPaymentMethod) -> CardPayment | str:
    try:
        payment = settlement.new_payment(
            user=context.user,
            group_id=context.group.id,
            amount_cents=context.installment.amount_cents,
            installment=context.installment,
            off_session=True,
            method=saved.method,
        )
    except DomainError:
        return Outcome.SKIPPED  # another process started an attempt at the same instant
    payment.saved_payment_method_id = saved.id
    db.session.flush()
    return payment


def _send(payment: CardPayment) -> str:
    saved = db.session.get(SavedPaymentMethod, payment.saved_payment_method_id)
    try:
        intent = gateway.create_intent(
            payment, payment_method_id=saved.stripe_payment_method_id, confirm=True
        )
    except gateway.GatewayUnavailable:
        logger.warning("Stripe unreachable for card payment %s: retried next run", payment.id)
        return Outcome.UNAVAILABLE
    except gateway.CardDeclined as declined:
        settlement.record_failure(payment, code=declined.code, message=declined.message)
        return Outcome.FAILED
    except gateway.GatewayRefused as refused:
        settlement.record_failure(payment, code="refused", message=refused.message)
        return Outcome.FAILED
    settlement.record_intent(payment, intent)
    if payment.state == CardPaymentState.REQUIRES_ACTION.value:
        # Off-session, nobody is there to authenticate: the household confirms online.
        settlement.record_failure(
            payment,
            code="authentication_required",
            message=_("La banque demande une confirmation du titulaire de la carte."),
        )
    return {
        CardPaymentState.SUCCEEDED.value: Outcome.SUCCEEDED,
        CardPaymentState.PROCESSING.value: Outcome.PROCESSING,
    }.get(payment.state, Outcome.FAILED)
