"""The household reads why a payment was refused in its language; a refusal the same card
would give again is never retried; the contract's method is the one charged; the local
webhook is registered with the configured secret."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import PROJECT_ROOT
from marketplace.cards import settlement
from marketplace.cards.charging import Outcome, charge_due_installments
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.dunning_helpers import (
    card_installment,
    coordinator_of,
    group_of,
    household_of,
    intents_of,
    save_card,
    subject_of,
)
from tests.cards.stripe_helpers import CARD_DECLINED, sepa_method
from tests.helpers import message_text


@pytest.mark.usefixtures("stripe_server")
def test_a_card_declined_on_the_page_is_explained_in_french(client, login):
    installment = card_installment()
    household = login(household_of(installment))
    saved = save_card(household, CARD_DECLINED)
    db.session.commit()

    response = client.post(
        f"/paiements/carte/echeances/{installment.id}",
        data={"saved-saved_method_id": str(saved.id)},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Votre banque a refusé le paiement." in page
    assert "Your card was declined" not in page


def test_a_lost_card_is_not_charged_again_and_the_coordinators_are_told_at_once(outbox):
    installment = card_installment()
    coordinator_of(group_of(installment))
    payment = factories.CardPaymentFactory(
        installment=installment, state="creating", off_session=True
    )
    db.session.commit()

    settlement.record_failure(payment, code="lost_card", message="Your card was declined.")
    db.session.commit()

    assert installment.state == "failed" and installment.charge_retry_on is None
    subjects = [subject_of(message) for message in outbox]
    assert any(subject.startswith("Paiement refusé") for subject in subjects)
    assert any(subject.startswith("Échéance impayée") for subject in subjects)
    assert "déclarée perdue" in message_text(outbox[0])


@pytest.mark.usefixtures("stripe_server")
def test_a_card_contract_is_never_debited_from_a_sepa_mandate():
    installment = card_installment()
    household = household_of(installment)
    card = save_card(household)
    card.is_default = False
    db.session.flush()
    factories.SavedPaymentMethodFactory(
        user=household, stripe_payment_method_id=sepa_method(), method="sepa_debit"
    )
    db.session.commit()

    summary = charge_due_installments(paris_today(), now=utcnow(), commit=db.session.commit)

    assert summary.counts == {Outcome.SUCCEEDED: 1}
    payment = db.session.scalars(select(CardPayment)).one()
    assert payment.method == "card" and payment.saved_payment_method_id == card.id
    assert len(intents_of(household)) == 1


@pytest.mark.usefixtures("stripe_server")
def test_with_only_a_mandate_saved_a_card_contract_asks_the_household_to_pay_online():
    installment = card_installment(due_on=paris_today() - timedelta(days=1))
    household = household_of(installment)
    factories.SavedPaymentMethodFactory(
        user=household, stripe_payment_method_id=sepa_method(), method="sepa_debit"
    )
    db.session.commit()

    summary = charge_due_installments(paris_today(), now=utcnow(), commit=db.session.commit)

    assert summary.counts == {Outcome.NO_METHOD: 1}
    assert intents_of(household) == []


def test_the_local_webhook_is_registered_with_the_configured_secret():
    path = str(PROJECT_ROOT / "scripts" / "localstripe-webhook")
    loader = importlib.machinery.SourceFileLoader("localstripe_webhook", path)
    spec = importlib.util.spec_from_loader("localstripe_webhook", loader)
    script = importlib.util.module_from_spec(spec)
    loader.exec_module(script)

    assert script.webhook_secret({"STRIPE_WEBHOOK_SECRET": "whsec_mine"}) == "whsec_mine"
    assert script.webhook_secret({}) == "whsec_localstripe"
