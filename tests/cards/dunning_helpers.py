"""Test helpers for off-session charging: a card subscription with a card saved in localstripe."""

from __future__ import annotations

from datetime import date, timedelta
from email.header import decode_header, make_header

from sqlalchemy import select

from marketplace.baskets.models import Subscription
from marketplace.cards import gateway, settlement
from marketplace.cards.models import SavedPaymentMethod
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.stripe_helpers import CARD_OK, payment_method


def card_installment(
    *, due_on: date | None = None, method: str = "card", amount_cents: int = 4500, user=None
) -> Installment:
    """A planned installment of an active subscription paying by `method`, due today."""
    options = {"user": user} if user is not None else {}
    subscription = factories.SubscriptionFactory(payment_method=method, **options)
    installment = factories.InstallmentFactory(
        subscription=subscription,
        amount_cents=amount_cents,
        due_on=due_on or paris_today(),
    )
    if method == "sepa_debit" and installment.due_on <= paris_today():
        # A debit already due was notified in time (see cards.reminders.notice_given).
        installment.reminded_at = utcnow() - timedelta(days=15)
    db.session.flush()
    return installment


def household_of(installment: Installment):
    return db.session.get(Subscription, installment.subscription_id).user


def group_of(installment: Installment):
    return db.session.get(Subscription, installment.subscription_id).offer.group


def save_card(user, number: str = CARD_OK) -> SavedPaymentMethod:
    """A card created in localstripe, attached to the household's customer, saved as default."""
    method_id = payment_method(number)
    customer = gateway.customer_id_for(user)
    gateway.client().v1.payment_methods.attach(method_id, params={"customer": customer})
    saved = factories.SavedPaymentMethodFactory(
        user=user, stripe_payment_method_id=method_id, last4=number[-4:]
    )
    db.session.flush()
    return saved


def coordinator_of(group):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=group, role=Role.COORDINATOR.value)
    db.session.flush()
    return user


def intents_of(user) -> list:
    """Every PaymentIntent localstripe holds for the household's customer (charges made)."""
    customer = gateway.customer_id_for(user)
    intents = gateway.client().v1.payment_intents.list(params={"limit": 100})
    return [intent for intent in intents.auto_paging_iter() if intent.customer == customer]


def payments_booked(installment: Installment) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.installment_id == installment.id, LedgerEntry.kind == "payment"
            )
        )
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def refusals_read_as(monkeypatch, as_code: str = "insufficient_funds") -> None:
    """localstripe only ever answers `card_declined`: have such refusals recorded with
    `as_code` (by default one time can fix, which is retried) through `record_failure`."""
    record = settlement.record_failure

    def recorded(payment, *, code: str, message: str) -> None:
        record(payment, code=as_code if code == "card_declined" else code, message=message)

    monkeypatch.setattr(settlement, "record_failure", recorded)
