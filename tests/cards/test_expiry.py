"""A payment left at its 3-D Secure step expires: cancelled at Stripe, the installment payable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.cards import gateway, settlement
from marketplace.cards.charging import charge_due_installments
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.models import InstallmentState
from marketplace.timezones import paris_today
from tests.cards.dunning_helpers import card_installment, group_of, household_of
from tests.cards.stripe_helpers import CARD_NEEDS_AUTHENTICATION, payment_method
from tests.cards.test_one_settlement import _group_id

pytestmark = pytest.mark.usefixtures("stripe_server")


def _waiting_for_3d_secure(installment):
    payment = settlement.new_payment(
        user=household_of(installment),
        group_id=_group_id(installment),
        amount_cents=installment.amount_cents,
        installment=installment,
    )
    intent = gateway.create_intent(
        payment, payment_method_id=payment_method(CARD_NEEDS_AUTHENTICATION), confirm=True
    )
    settlement.record_intent(payment, intent)
    db.session.commit()
    assert payment.state == "requires_action"
    return payment


def test_an_abandoned_3d_secure_attempt_expires_and_the_installment_is_payable_again():
    installment = card_installment(due_on=paris_today() + timedelta(days=10))
    payment = _waiting_for_3d_secure(installment)

    # The same day it is left alone: the household may still be authenticating.
    soon = charge_due_installments(
        paris_today(), now=utcnow() + timedelta(hours=1), commit=db.session.commit
    )
    assert soon.counts == {} and payment.state == "requires_action"

    later = charge_due_installments(
        paris_today(), now=utcnow() + timedelta(hours=25), commit=db.session.commit
    )

    assert later.counts == {"expired": 1}
    assert payment.state == "canceled" and payment.failure_code == "abandoned"
    intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    assert intent.status == "canceled"
    assert installment.state == InstallmentState.PLANNED
    another = settlement.new_payment(
        user=household_of(installment),
        group_id=_group_id(installment),
        amount_cents=installment.amount_cents,
        installment=installment,
    )
    assert another.attempt == 2


def test_the_expiry_is_a_setting(make_app):
    installment = card_installment(due_on=paris_today() + timedelta(days=10))
    payment = _waiting_for_3d_secure(installment)
    impatient = make_app(CARD_ACTION_EXPIRES_HOURS=1)

    with impatient.app_context():
        summary = charge_due_installments(
            paris_today(), now=utcnow() + timedelta(hours=2), commit=db.session.commit
        )

    assert summary.counts == {"expired": 1}
    db.session.refresh(payment)
    assert payment.state == "canceled"


def test_the_household_cancels_a_waiting_payment_to_pay_with_another_card(client, login):
    installment = card_installment(due_on=paris_today() + timedelta(days=10))
    payment = _waiting_for_3d_secure(installment)
    login(household_of(installment))

    client.post(f"/paiements/carte/{payment.id}/annuler")

    db.session.refresh(payment)
    assert payment.state == "canceled"
    page = client.get(f"/paiements/carte/echeances/{installment.id}")
    assert page.status_code == 200  # the pay page again, not the waiting payment


def test_a_coordinator_cancels_a_waiting_payment(client, user_with_role):
    installment = card_installment(due_on=paris_today() + timedelta(days=10))
    payment = _waiting_for_3d_secure(installment)
    group = group_of(installment)
    user_with_role("coordinator", group)

    response = client.post(
        f"/groupes/{group.slug}/gestion/paiements-carte/{installment.id}/annuler-tentative",
        follow_redirects=True,
    )

    assert "Le paiement en attente est annulé" in response.get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.state == "canceled"
    assert gateway.retrieve_intent(payment.stripe_payment_intent_id).status == "canceled"
