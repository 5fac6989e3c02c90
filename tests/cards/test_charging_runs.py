"""A charging run never stops on one bad row, and says when it must run again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from marketplace.cards import charging
from marketplace.cards.charging import IN_FLIGHT, KEY_VALID_FOR, Outcome, charge_due_installments
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.payments.models import InstallmentState
from marketplace.scheduler.runner import run_period
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.dunning_helpers import card_installment, household_of, intents_of, save_card
from tests.helpers import free_port

pytestmark = pytest.mark.usefixtures("stripe_server")


def charge(now=None):
    return charge_due_installments(paris_today(), now=now or utcnow(), commit=db.session.commit)


def test_an_attempt_left_without_its_saved_card_no_longer_blocks_the_run():
    # A scheduler killed mid-charge left this attempt committed without its card.
    broken = card_installment()
    save_card(household_of(broken))
    orphan = factories.CardPaymentFactory(
        installment=broken,
        state="creating",
        off_session=True,
        stripe_payment_intent_id=None,
        created_at=utcnow() - IN_FLIGHT - timedelta(minutes=5),
    )
    other = card_installment()
    save_card(household_of(other))
    db.session.commit()

    summary = charge()

    assert summary.counts == {Outcome.SUCCEEDED: 2}
    db.session.refresh(orphan)
    assert orphan.state == "canceled"
    assert broken.state == InstallmentState.PAID and other.state == InstallmentState.PAID


def test_one_failing_installment_never_stops_the_others(monkeypatch):
    first = card_installment()
    save_card(household_of(first))
    second = card_installment()
    save_card(household_of(second))
    db.session.commit()
    real_context_of = charging.context_of

    def broken_for_first(installment_id):
        if installment_id == first.id:
            raise RuntimeError("a row nobody expected")
        return real_context_of(installment_id)

    monkeypatch.setattr(charging, "context_of", broken_for_first)

    summary = charge()

    assert summary.counts == {Outcome.ERROR: 1, Outcome.SUCCEEDED: 1}
    assert not summary.complete
    assert f"échéance {first.id} : RuntimeError" in str(summary)
    assert second.state == InstallmentState.PAID
    assert db.session.scalars(select(CardPayment.installment_id)).all() == [second.id]


def test_a_run_during_a_stripe_outage_is_recorded_as_failed_and_retried(make_app):
    installment = card_installment()
    save_card(household_of(installment))
    db.session.commit()
    job = load_jobs().get("charge_due_installments")
    period = job.cadence.period_of(utcnow())
    unreachable = make_app(STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}")

    with unreachable.app_context():
        outage = run_period(job, period, utcnow())
    db.session.expire_all()

    assert outage.outcome == "failed" and "unavailable: 1" in outage.summary
    # Stripe is back: the scheduler's retry, later the same day, sends the same row again.
    later = utcnow() + timedelta(minutes=30)
    with time_machine.travel(later, tick=True):
        retried = run_period(job, period, later)
    assert retried.outcome == "succeeded" and "succeeded: 1" in retried.summary
    (payment,) = db.session.scalars(select(CardPayment)).all()
    assert payment.attempt == 1 and payment.state == "succeeded"
    assert len(intents_of(household_of(installment))) == 1


def test_an_attempt_older_than_its_idempotency_key_is_replaced_by_a_new_one():
    installment = card_installment()
    saved = save_card(household_of(installment))
    stale = factories.CardPaymentFactory(
        installment=installment,
        state="creating",
        off_session=True,
        stripe_payment_intent_id=None,
        created_at=utcnow() - KEY_VALID_FOR - timedelta(hours=1),
    )
    stale.saved_payment_method_id = saved.id
    db.session.commit()

    assert charge().counts == {Outcome.SUCCEEDED: 1}

    db.session.refresh(stale)
    assert stale.state == "canceled"
    fresh = db.session.scalars(select(CardPayment).where(CardPayment.id != stale.id)).one()
    assert fresh.attempt == 2 and fresh.idempotency_key != stale.idempotency_key
