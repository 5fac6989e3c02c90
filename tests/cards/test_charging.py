"""Charging due installments off-session, against a real localstripe server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.baskets.models import Subscription
from marketplace.cards import gateway, settlement
from marketplace.cards.charging import (
    IN_FLIGHT,
    Outcome,
    charge_due_installments,
    installments_to_charge,
)
from marketplace.cards.models import CardPayment, StripeCustomer
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.payments.models import Installment, InstallmentState
from marketplace.scheduler.runner import SKIPPED, run_period
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.dunning_helpers import (
    card_installment,
    days,
    household_of,
    intents_of,
    payments_booked,
    refusals_read_as,
    save_card,
    subject_of,
)
from tests.cards.stripe_helpers import CARD_DECLINED, IBAN_DECLINED, IBAN_OK, sepa_method
from tests.helpers import free_port, message_text

pytestmark = pytest.mark.usefixtures("stripe_server")


def charge(today=None, now=None):
    return charge_due_installments(
        today or paris_today(), now=now or utcnow(), commit=db.session.commit
    )


def test_due_installment_is_charged_off_session_once():
    installment = card_installment()
    household = household_of(installment)
    save_card(household)
    db.session.commit()

    first = charge()
    second = charge()  # the job run again the same day

    assert first.counts == {Outcome.SUCCEEDED: 1}
    assert second.counts == {}
    assert installment.state == InstallmentState.PAID
    payment = db.session.scalars(select(CardPayment)).one()
    assert payment.off_session and payment.state == "succeeded"
    assert [intent.status for intent in intents_of(household)] == ["succeeded"]
    assert [entry.amount_cents for entry in payments_booked(installment)] == [4500]


def test_a_card_payment_counts_in_the_producers_prefinancing_statement():
    from marketplace.baskets.prefinancing import producer_statement

    installment = card_installment()
    save_card(household_of(installment))
    db.session.commit()
    charge()

    subscription = db.session.get(Subscription, installment.subscription_id)
    [entry] = payments_booked(installment)
    assert entry.offer_id == subscription.offer_id
    statement = producer_statement(subscription.offer.producer_id, now=utcnow())
    assert statement.total("received_cents") == 4500


def test_the_scheduled_job_charges_once_even_when_run_twice():
    installment = card_installment()
    save_card(household_of(installment))
    db.session.commit()
    job = load_jobs().get("charge_due_installments")
    period = job.cadence.period_of(utcnow())

    first = run_period(job, period, utcnow())
    again = run_period(job, period, utcnow())
    forced = run_period(job, period, utcnow(), force=True)

    assert first.outcome == "succeeded" and "succeeded: 1" in first.summary
    assert again.outcome == SKIPPED
    assert forced.outcome == "succeeded" and forced.summary == "rien à prélever"
    db.session.expire_all()
    assert len(intents_of(household_of(installment))) == 1
    assert len(payments_booked(installment)) == 1


def test_only_due_card_and_sepa_installments_of_active_subscriptions_are_charged():
    today = paris_today()
    due = card_installment()
    card_installment(due_on=today + days(1))  # not yet due
    card_installment(method="cheque")  # handed to a coordinator
    cancelled = card_installment()
    subscription = db.session.get(Subscription, cancelled.subscription_id)
    subscription.status, subscription.cancelled_at = "cancelled", utcnow()
    paid = card_installment()
    paid.state, paid.paid_at = "paid", utcnow()
    retry_later = card_installment(due_on=today - days(3))
    retry_later.state, retry_later.charge_retry_on = "failed", today + days(2)
    no_more_retries = card_installment(due_on=today - days(10))
    no_more_retries.state = "failed"
    db.session.flush()

    assert installments_to_charge(today) == [due.id]


def _saved_mandate(household, iban: str):
    factories.SavedPaymentMethodFactory(
        user=household, stripe_payment_method_id=sepa_method(iban), method="sepa_debit"
    )


def test_sepa_installment_is_debited_from_the_saved_mandate():
    installment = card_installment(method="sepa_debit")
    _saved_mandate(household_of(installment), IBAN_OK)
    db.session.commit()

    assert charge().counts == {Outcome.SUCCEEDED: 1}
    assert installment.state == InstallmentState.PAID
    assert db.session.scalars(select(CardPayment)).one().method == "sepa_debit"


def test_sepa_debit_refused_days_later_fails_the_installment(outbox, monkeypatch):
    refusals_read_as(monkeypatch)  # the bank: not enough money on the account this time
    installment = card_installment(method="sepa_debit")
    _saved_mandate(household_of(installment), IBAN_DECLINED)
    db.session.commit()

    assert charge().counts == {Outcome.PROCESSING: 1}
    assert installment.state == InstallmentState.PENDING
    assert charge().counts == {}  # under way: never a second debit
    assert outbox == []

    payment = db.session.scalars(select(CardPayment)).one()
    time.sleep(1)  # the bank's refusal comes later (the webhook asks Stripe the same way)
    settlement.record_intent(payment, gateway.retrieve_intent(payment.stripe_payment_intent_id))
    db.session.commit()

    assert payment.state == "failed"
    assert installment.state == InstallmentState.FAILED
    assert installment.charge_retry_on == paris_today() + days(2)
    (message,) = outbox
    assert subject_of(message).startswith("Paiement refusé")


def test_installment_without_a_saved_method_is_failed_without_calling_stripe(outbox):
    installment = card_installment()
    db.session.commit()

    summary = charge()

    assert summary.counts == {Outcome.NO_METHOD: 1}
    assert installment.state == InstallmentState.FAILED
    assert installment.charge_retry_on is None
    assert db.session.scalars(select(CardPayment)).all() == []
    assert db.session.scalars(select(StripeCustomer)).all() == []  # Stripe never called
    (message,) = outbox
    assert f"/paiements/carte/echeances/{installment.id}" in message_text(message)
    assert charge().counts == {}  # told once


def test_stripe_outage_never_charges_twice(make_app, outbox):
    installment = card_installment()
    household = household_of(installment)
    save_card(household)
    installment_id = installment.id
    db.session.commit()  # and no transaction left open while the other app writes
    unreachable = make_app(STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}")

    with unreachable.app_context():  # Stripe really cannot be reached: nothing listens there
        outage = charge()
    db.session.expire_all()

    assert outage.counts == {Outcome.UNAVAILABLE: 1}
    payment = db.session.scalars(select(CardPayment)).one()
    key = payment.idempotency_key
    assert payment.state == "creating" and payment.stripe_payment_intent_id is None
    assert installment.state == InstallmentState.PLANNED
    assert intents_of(household) == []
    assert outbox == []  # an outage is not the household's fault

    # Minutes later the attempt may still be in flight somewhere: it is left alone.
    assert charge(now=utcnow() + timedelta(minutes=1)).counts == {Outcome.SKIPPED: 1}

    # The next run sends the SAME row with the SAME idempotency key.
    recovered = charge(now=utcnow() + IN_FLIGHT + timedelta(minutes=1))
    assert recovered.counts == {Outcome.SUCCEEDED: 1}
    (payment,) = db.session.scalars(select(CardPayment)).all()
    assert payment.idempotency_key == key and payment.attempt == 1
    assert [intent.metadata["card_payment_id"] for intent in intents_of(household)] == [
        str(payment.id)
    ]
    assert db.session.get(Installment, installment_id).state == "paid"
    assert len(payments_booked(installment)) == 1


def test_declined_charge_marks_the_installment_failed_and_plans_a_retry(monkeypatch):
    refusals_read_as(monkeypatch)  # the bank: not enough money this time
    installment = card_installment()
    save_card(household_of(installment), CARD_DECLINED)
    db.session.commit()

    summary = charge()

    assert summary.counts == {Outcome.FAILED: 1}
    assert installment.state == InstallmentState.FAILED
    assert installment.charge_retry_on == paris_today() + days(2)
    assert charge().counts == {}  # not before the retry date
