"""A refusal time does not fix: not retried, everyone told at once, and the saved card or
mandate is not charged again until the household acts; a contract's own method always wins."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.cards import saved_methods, settlement
from marketplace.cards.charging import Outcome, charge_due_installments
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.models import InstallmentState
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.dunning_helpers import (
    card_installment,
    coordinator_of,
    days,
    group_of,
    household_of,
    intents_of,
    refusals_read_as,
    save_card,
    subject_of,
)
from tests.cards.stripe_helpers import CARD_DECLINED, sepa_method
from tests.helpers import message_text

pytestmark = pytest.mark.usefixtures("stripe_server")


def charge(today: date):
    return charge_due_installments(today, now=utcnow(), commit=db.session.commit)


def _next_installment(first, due_on: date):
    """The same contract's following installment."""
    installment = factories.InstallmentFactory(
        subscription_id=first.subscription_id, amount_cents=first.amount_cents, due_on=due_on
    )
    db.session.flush()
    return installment


def _mail_to(outbox, user) -> list:
    return [m for m in outbox if m["To"] == user.email]


def test_a_declined_card_is_not_retried_and_everyone_is_told_at_once(outbox):
    today = paris_today()
    installment = card_installment()
    household = household_of(installment)
    card = save_card(household, CARD_DECLINED)
    coordinator = coordinator_of(group_of(installment))
    db.session.commit()

    assert charge(today).counts == {Outcome.FAILED: 1}

    payment = db.session.scalars(select(CardPayment)).one()
    assert payment.failure_code == "card_declined"
    assert installment.state == InstallmentState.FAILED
    assert installment.charge_retry_on is None
    assert card.declined_at is not None
    (to_household,) = _mail_to(outbox, household)
    text = message_text(to_household)
    assert "Il n'y aura pas de nouvel essai automatique" in text
    assert f"/paiements/carte/echeances/{installment.id}" in text
    assert "Nous ne débiterons plus ce moyen de paiement" in text
    assert "/paiements/carte/moyens" in text
    (to_coordinator,) = _mail_to(outbox, coordinator)
    assert household.name in subject_of(to_coordinator)
    assert charge(today + days(2)).counts == {}  # no automatic retry, ever
    assert charge(today + days(9)).counts == {}


def test_the_household_sees_which_method_was_refused(client, login):
    installment = card_installment()
    household = household_of(installment)
    save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(paris_today())

    login(household)
    page = client.get("/paiements/carte/moyens").get_data(as_text=True)

    assert "Refusé par la banque : plus utilisé pour vos échéances" in page


def test_the_next_installment_is_not_charged_with_the_declined_card(outbox):
    today = paris_today()
    first = card_installment()
    household = household_of(first)
    save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(today)
    second = _next_installment(first, today + days(30))
    db.session.commit()
    outbox.clear()

    assert charge(today + days(30)).counts == {Outcome.NO_METHOD: 1}

    assert second.state == InstallmentState.FAILED
    assert second.charge_retry_on is None
    assert len(intents_of(household)) == 1  # only the first, refused, charge reached the bank
    assert len(db.session.scalars(select(CardPayment)).all()) == 1
    (message,) = _mail_to(outbox, household)
    text = message_text(message)
    assert "a déjà été refusé par la banque" in text
    assert f"/paiements/carte/echeances/{second.id}" in text


def test_charging_resumes_once_the_household_saves_a_new_card(outbox):
    today = paris_today()
    first = card_installment()
    household = household_of(first)
    refused = save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(today)
    second = _next_installment(first, today + days(30))
    refused.is_default = False
    save_card(household)  # the household saves another card
    db.session.commit()

    assert charge(today + days(30)).counts == {Outcome.SUCCEEDED: 1}

    assert second.state == InstallmentState.PAID
    assert first.state == InstallmentState.FAILED  # the refused one waits for the household


def test_saving_the_declined_card_again_vouches_for_it():
    installment = card_installment()
    household = household_of(installment)
    card = save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(paris_today())
    assert card.declined_at is not None

    assert saved_methods.save(household, card.stripe_payment_method_id) == card

    assert card.declined_at is None


def test_paying_online_with_the_declined_card_vouches_for_it():
    installment = card_installment()
    household = household_of(installment)
    card = save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(paris_today())
    online = factories.CardPaymentFactory(installment=installment, state="creating")
    db.session.flush()

    settlement.record_intent(
        online,
        {
            "id": online.stripe_payment_intent_id,
            "status": "succeeded",
            "payment_method": card.stripe_payment_method_id,
        },
    )

    assert online.state == "succeeded"
    assert card.declined_at is None
    assert installment.state == InstallmentState.PAID


def test_insufficient_funds_is_still_retried_two_five_and_nine_days_later(monkeypatch):
    refusals_read_as(monkeypatch, "insufficient_funds")
    today = paris_today()
    installment = card_installment()
    card = save_card(household_of(installment), CARD_DECLINED)
    db.session.commit()

    planned = []
    for day in (today, today + days(2), today + days(5), today + days(9)):
        assert charge(day).counts == {Outcome.FAILED: 1}
        planned.append(installment.charge_retry_on)

    assert planned == [today + days(2), today + days(5), today + days(9), None]
    assert card.declined_at is None  # time may fix it: the next installment tries it again


def test_a_card_contract_is_never_charged_from_a_sepa_mandate():
    installment = card_installment(method="card")
    household = household_of(installment)
    mandate = factories.SavedPaymentMethodFactory(
        user=household, stripe_payment_method_id=sepa_method(), method="sepa_debit"
    )
    db.session.commit()

    assert charge(paris_today()).counts == {Outcome.NO_METHOD: 1}
    assert db.session.scalars(select(CardPayment)).all() == []

    # A card saved too, but the mandate stays the household's default method.
    mandate.is_default = False
    db.session.flush()
    card = save_card(household)
    card.is_default = False
    db.session.flush()
    mandate.is_default = True
    installment.state = InstallmentState.PLANNED.value
    db.session.commit()

    assert charge(paris_today()).counts == {Outcome.SUCCEEDED: 1}
    (payment,) = db.session.scalars(select(CardPayment)).all()
    assert (payment.method, payment.saved_payment_method_id) == ("card", card.id)
