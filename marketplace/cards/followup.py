"""What the coordinators' follow-up of card and SEPA payments reads: refused installments and
attempts under way in a group (two queries, whatever the number of households)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.cards.dunning import NO_SAVED_METHOD, failure_reason
from marketplace.cards.installments import STRIPE_PAYMENT_METHODS
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.extensions import db
from marketplace.payments.models import Installment, InstallmentState, PaymentMethod
from marketplace.payments.statements import offers_table, subscriptions_table

# Also followed up here: the debits the group sends its own bank (marketplace.direct_debit).
FOLLOWED_UP_METHODS = (*STRIPE_PAYMENT_METHODS, PaymentMethod.DIRECT_DEBIT.value)
DEBIT_RETURNED = _l("Prélèvement rejeté par la banque du foyer (voir les lots de prélèvements).")

LIVE_STATE_LABELS = {
    CardPaymentState.CREATING.value: _l("Envoi à la banque en cours"),
    CardPaymentState.REQUIRES_ACTION.value: _l("Attend la confirmation du foyer"),
    CardPaymentState.PROCESSING.value: _l("Prélèvement en cours de traitement"),
}


@dataclass(frozen=True)
class FailedInstallment:
    installment_id: int
    household: str
    email: str
    offer_name: str
    due_on: date
    amount_cents: int
    retry_on: date | None
    attempts: int  # refused charges so far
    failure_code: str  # of the last refused charge ("" when nothing was ever sent)
    method: str = ""  # the subscription's payment method

    @property
    def debited_by_group(self) -> bool:
        """Returned from a batch the group sends its bank itself (no automatic retry here)."""
        return self.method == PaymentMethod.DIRECT_DEBIT.value

    @property
    def reason(self) -> str:
        if self.debited_by_group:
            return str(DEBIT_RETURNED)
        return failure_reason(self.failure_code or NO_SAVED_METHOD)


@dataclass(frozen=True)
class LivePayment:
    installment_id: int
    household: str
    offer_name: str
    due_on: date
    amount_cents: int
    state: str
    started_at: datetime

    @property
    def state_label(self) -> str:
        return str(LIVE_STATE_LABELS.get(self.state, self.state))


def failed_installments(group_id: int) -> list[FailedInstallment]:
    """The group's card and SEPA installments whose charge was refused, oldest due first."""
    subscriptions, offers = subscriptions_table(), offers_table()
    failures = (
        select(
            CardPayment.installment_id.label("installment_id"),
            func.count(CardPayment.id).label("attempts"),
            func.max(CardPayment.id).label("last_id"),
        )
        .where(
            CardPayment.group_id == group_id,
            CardPayment.state == CardPaymentState.FAILED.value,
        )
        .group_by(CardPayment.installment_id)
        .subquery("failures")
    )
    rows = db.session.execute(
        select(
            Installment.id,
            User.name,
            User.email,
            offers.c.name,
            Installment.due_on,
            Installment.amount_cents,
            Installment.charge_retry_on,
            func.coalesce(failures.c.attempts, 0),
            func.coalesce(CardPayment.failure_code, ""),
            subscriptions.c.payment_method,
        )
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(User, User.id == subscriptions.c.user_id)
        .outerjoin(failures, failures.c.installment_id == Installment.id)
        .outerjoin(CardPayment, CardPayment.id == failures.c.last_id)
        .where(
            subscriptions.c.group_id == group_id,
            subscriptions.c.payment_method.in_(FOLLOWED_UP_METHODS),
            Installment.state == InstallmentState.FAILED.value,
        )
        .order_by(Installment.due_on, User.name, Installment.id)
    ).all()
    return [FailedInstallment(*row) for row in rows]


def live_payments(group_id: int) -> list[LivePayment]:
    """Installment payments of the group still waiting for the bank or the household."""
    subscriptions, offers = subscriptions_table(), offers_table()
    rows = db.session.execute(
        select(
            Installment.id,
            User.name,
            offers.c.name,
            Installment.due_on,
            CardPayment.amount_cents,
            CardPayment.state,
            CardPayment.created_at,
        )
        .join(Installment, Installment.id == CardPayment.installment_id)
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(User, User.id == CardPayment.user_id)
        .where(
            CardPayment.group_id == group_id,
            CardPayment.state.in_(list(LIVE_STATE_LABELS)),
        )
        .order_by(CardPayment.created_at, CardPayment.id)
    ).all()
    return [LivePayment(*row) for row in rows]


def group_installment(group_id: int, installment_id: int) -> Installment | None:
    """One installment of a card or SEPA subscription of the group (None if not the group's)."""
    subscriptions = subscriptions_table()
    return db.session.scalars(
        select(Installment)
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .where(
            Installment.id == installment_id,
            subscriptions.c.group_id == group_id,
            subscriptions.c.payment_method.in_(STRIPE_PAYMENT_METHODS),
        )
    ).first()
