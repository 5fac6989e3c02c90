"""The gateway and the settlement against a real localstripe server."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from marketplace.cards import gateway, settlement
from marketplace.cards.models import CardPayment, StripeCustomer
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.cards.stripe_helpers import (
    CARD_DECLINED,
    CARD_NEEDS_AUTHENTICATION,
    IBAN_DECLINED,
    payment_method,
    sepa_method,
)

pytestmark = pytest.mark.usefixtures("stripe_server")


def _installment(amount_cents: int = 4500, method: str = "card"):
    subscription = factories.SubscriptionFactory(payment_method=method)
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=amount_cents)
    db.session.flush()
    return subscription, installment


def _new_payment(subscription, installment, **options) -> CardPayment:
    return settlement.new_payment(
        user=subscription.user,
        group_id=subscription.group_id,
        amount_cents=installment.amount_cents,
        installment=installment,
        **options,
    )


def test_customer_is_created_once_per_household():
    user = factories.UserFactory()
    first = gateway.customer_id_for(user)
    assert first.startswith("cus_")
    assert gateway.customer_id_for(user) == first
    assert db.session.scalars(select(StripeCustomer)).one().stripe_customer_id == first


def test_successful_card_payment_books_the_ledger_once():
    subscription, installment = _installment()
    payment = _new_payment(subscription, installment)
    assert payment.idempotency_key == f"inst-{installment.id}-1"
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    settlement.record_intent(payment, intent)
    settlement.record_intent(payment, gateway.retrieve_intent(intent.id))  # a second time
    assert payment.state == "succeeded"
    assert installment.state == "paid" and installment.paid_at is not None
    entries = db.session.scalars(select(LedgerEntry)).all()
    assert [(e.kind, e.amount_cents, e.external_reference) for e in entries] == [
        ("payment", 4500, intent.id)
    ]
    assert balance_cents(subscription.user_id, subscription.group_id) == 4500
    assert intent.metadata["card_payment_id"] == str(payment.id)


def test_declined_card_raises_and_is_recorded_as_failed():
    subscription, installment = _installment()
    payment = _new_payment(subscription, installment)
    with pytest.raises(gateway.CardDeclined) as declined:
        gateway.create_intent(
            payment, payment_method_id=payment_method(CARD_DECLINED), confirm=True
        )
    assert declined.value.code == "card_declined"
    settlement.record_failure(payment, code=declined.value.code, message=declined.value.message)
    assert payment.state == "failed"
    # Typed in the browser: the household simply tries another card, the installment waits.
    assert installment.state == "planned"
    assert db.session.scalars(select(LedgerEntry)).all() == []
    second = _new_payment(subscription, installment)
    assert (second.attempt, second.idempotency_key) == (2, f"inst-{installment.id}-2")


def test_card_needing_authentication_waits_for_the_household():
    subscription, installment = _installment()
    payment = _new_payment(subscription, installment)
    intent = gateway.create_intent(
        payment, payment_method_id=payment_method(CARD_NEEDS_AUTHENTICATION), confirm=True
    )
    settlement.record_intent(payment, intent)
    assert intent.status == "requires_action"
    assert payment.state == "requires_action"
    with pytest.raises(DomainError):
        _new_payment(subscription, installment)  # one live attempt at a time
    # Stripe.js completes 3-D Secure in the browser (localstripe's endpoint for it).
    gateway.client().raw_request(
        "post",
        f"/v1/payment_intents/{intent.id}/_authenticate",
        client_secret=intent.client_secret,
        success="true",
    )
    settlement.record_intent(payment, gateway.retrieve_intent(intent.id))
    assert payment.state == "succeeded" and installment.state == "paid"


def test_sepa_debit_succeeds_at_once_with_localstripe():
    subscription, installment = _installment(method="sepa_debit")
    payment = _new_payment(subscription, installment, method="sepa_debit", off_session=True)
    intent = gateway.create_intent(payment, payment_method_id=sepa_method(), confirm=True)
    settlement.record_intent(payment, intent)
    assert payment.state == "succeeded" and installment.state == "paid"


def test_refused_sepa_debit_is_processing_then_fails_and_warns_dunning(failed_charges):
    subscription, installment = _installment(method="sepa_debit")
    payment = _new_payment(subscription, installment, method="sepa_debit", off_session=True)
    intent = gateway.create_intent(
        payment, payment_method_id=sepa_method(IBAN_DECLINED), confirm=True
    )
    settlement.record_intent(payment, intent)
    assert payment.state == "processing" and installment.state == "pending"
    time.sleep(0.8)  # the bank answers later (localstripe: half a second)
    settlement.record_intent(payment, gateway.retrieve_intent(intent.id))
    assert payment.state == "failed" and payment.failure_code == "card_declined"
    assert installment.state == "failed"
    assert failed_charges == [payment]
    # A late "processing" never brings a failed payment back to life.
    settlement.record_intent(payment, intent)
    assert payment.state == "failed" and failed_charges == [payment]
