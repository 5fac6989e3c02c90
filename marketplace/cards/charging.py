"""Charging due installments off-session with the household's saved card or SEPA mandate.

A Stripe call cannot be rolled back, so each attempt is written and COMMITTED (with the
idempotency key it will be sent with) before Stripe is called, and its outcome committed
right after: the boundary (the job, the coordinators' "retry now") passes its `commit`.
When Stripe cannot be reached the row stays `creating`; a later run sends the same row
again, with the same key, so Stripe never charges twice. A `creating` row younger than
`IN_FLIGHT` may belong to a request still waiting for Stripe's answer: it is left alone.

Stripe keeps an idempotency key for 24 hours: a `creating` row older than `KEY_VALID_FOR`
is given up (cancelled) and a new attempt, with a new key, is made instead.

Each installment is charged on its own: an error on one (a bad row, a bug) is rolled back,
logged and counted, and the run goes on with the others. The job then reports the run as
incomplete (see jobs.py), so the scheduler runs it again later the same day.
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
from marketplace.cards.credit_use import apply_credits
from marketplace.cards.dunning import on_missing_method
from marketplace.cards.expiry import expire_abandoned_attempts
from marketplace.cards.installments import (
    ACTIVE_SUBSCRIPTION,
    STRIPE_PAYMENT_METHODS,
    InstallmentContext,
    context_of,
    has_declined_method,
    method_for_contract,
)
from marketplace.cards.models import (
    LIVE_CARD_PAYMENT_STATES,
    CardPayment,
    CardPaymentState,
    SavedPaymentMethod,
)
from marketplace.cards.reminders import notice_given
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import Installment, InstallmentState, PaymentMethod
from marketplace.payments.statements import UNPAID_STATES, subscriptions_table

logger = logging.getLogger(__name__)

IN_FLIGHT = timedelta(minutes=10)
KEY_VALID_FOR = timedelta(hours=20)
LIVE_STATES = tuple(state.value for state in LIVE_CARD_PAYMENT_STATES)


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"  # a SEPA debit: the webhook says later
    FAILED = "failed"  # refused, or the bank wants the household to confirm
    NO_METHOD = "no_method"  # nothing saved to charge: the household was asked to pay online
    UNAVAILABLE = "unavailable"  # Stripe unreachable: the same row is sent again next run
    SKIPPED = "skipped"  # already paid, or an attempt is under way
    CREDITED = "credited"  # paid by the household's credit, nothing charged
    AWAITING_NOTICE = "awaiting_notice"  # a SEPA debit whose pre-notification is too recent
    ERROR = "error"  # something went wrong on our side: rolled back, logged, tried next run


@dataclass(frozen=True)
class ChargeSummary:
    counts: dict[str, int]
    errors: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """False when some installment must be tried again (Stripe unreachable, an error)."""
        return not (self.counts.get(Outcome.ERROR) or self.counts.get(Outcome.UNAVAILABLE))

    def __str__(self) -> str:
        parts = [f"{name}: {count}" for name, count in sorted(self.counts.items())]
        text = ", ".join(parts) or "rien à prélever"
        return "\n".join([text, *self.errors])


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
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    expired = expire_abandoned_attempts(now, commit=commit)
    if expired:
        outcomes["expired"] = expired
    for installment_id in installments_to_charge(today):
        try:
            outcome = charge_installment(installment_id, today, now=now, commit=commit)
        except Exception as error:  # one bad row never stops the others being charged
            db.session.rollback()
            logger.exception("Charging installment %s failed", installment_id)
            errors.append(f"échéance {installment_id} : {type(error).__name__}: {error}"[:300])
            outcome = Outcome.ERROR
        outcomes[outcome] += 1
    return ChargeSummary(dict(outcomes), tuple(errors))


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
        abandoned = (
            live.state == CardPaymentState.CREATING.value
            and live.off_session
            and live.created_at < now - IN_FLIGHT
        )
        if not abandoned:
            return Outcome.SKIPPED
        if live.saved_payment_method_id is not None and live.created_at >= now - KEY_VALID_FOR:
            return live  # sent again with the same key: Stripe answers with the same intent
        # Never sent (no method was stored with it), or its key is no longer kept by Stripe:
        # give it up; a webhook would still book it if Stripe had in fact charged it.
        live.failure_code = "abandoned"
        settlement.record_canceled(live)
    context = context_of(installment_id)
    if context is None or not context.pays_through_stripe:
        return Outcome.SKIPPED
    if context.payment_method == PaymentMethod.SEPA.value and not notice_given(installment, today):
        return Outcome.AWAITING_NOTICE  # the reminders job sends it; debited once it is old enough
    if apply_credits(context, now) and installment.state not in UNPAID_STATES:
        return Outcome.CREDITED  # the household's credit paid it: nothing to charge
    saved = method_for_contract(context.user.id, context.payment_method)
    if saved is None:
        on_missing_method(
            context, declined=has_declined_method(context.user.id, context.payment_method)
        )
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
