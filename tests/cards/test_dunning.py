"""Refused off-session charges: retries on a schedule, emails to the household and coordinators."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.cards import settlement
from marketplace.cards.charging import Outcome, charge_due_installments
from marketplace.cards.dunning import next_retry_on
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
    payments_booked,
    refusals_read_as,
    save_card,
    subject_of,
)
from tests.cards.stripe_helpers import CARD_DECLINED, CARD_NEEDS_AUTHENTICATION
from tests.helpers import message_text

pytestmark = pytest.mark.usefixtures("stripe_server")


def charge(today: date):
    return charge_due_installments(today, now=utcnow(), commit=db.session.commit)


def test_retries_come_two_five_and_nine_days_after_the_first_refusal():
    first = date(2025, 3, 1)
    assert next_retry_on(1, first, first) == date(2025, 3, 3)
    assert next_retry_on(2, first, date(2025, 3, 3)) == date(2025, 3, 6)
    assert next_retry_on(3, first, date(2025, 3, 6)) == date(2025, 3, 10)
    assert next_retry_on(4, first, date(2025, 3, 10)) is None
    # A retry run late (the job was down) is never planned in the past.
    assert next_retry_on(2, first, date(2025, 3, 8)) == date(2025, 3, 9)


def test_declined_charge_emails_the_household_with_the_reason_a_pay_link_and_the_retry(
    outbox, monkeypatch
):
    refusals_read_as(monkeypatch)  # the bank: not enough money this time
    today = paris_today()
    installment = card_installment(amount_cents=4550)
    save_card(household_of(installment), CARD_DECLINED)
    db.session.commit()

    charge(today)

    assert installment.state == InstallmentState.FAILED
    (message,) = outbox
    assert message["To"] == household_of(installment).email
    assert subject_of(message).startswith("Paiement refusé")
    text = message_text(message)
    assert "45,50" in text
    assert "La provision du compte était insuffisante." in text
    assert "Nous essaierons à nouveau automatiquement" in text
    assert f"/paiements/carte/echeances/{installment.id}\r\n" in text
    assert "chèque, espèces ou virement" in text


def test_a_retry_with_a_new_card_pays_the_installment_later(outbox, monkeypatch):
    refusals_read_as(monkeypatch)  # the bank: not enough money this time
    today = paris_today()
    installment = card_installment()
    household = household_of(installment)
    refused = save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(today)
    assert installment.charge_retry_on == today + days(2)

    # The household replaces its card; the retry day comes.
    refused.is_default, refused.removed_at = False, utcnow()
    save_card(household)
    db.session.commit()
    assert charge(today + days(1)).counts == {}
    assert charge(today + days(2)).counts == {Outcome.SUCCEEDED: 1}

    assert installment.state == InstallmentState.PAID
    assert installment.charge_retry_on is None
    assert len(payments_booked(installment)) == 1
    attempts = db.session.scalars(select(CardPayment).order_by(CardPayment.id)).all()
    assert [(p.attempt, p.state) for p in attempts] == [(1, "failed"), (2, "succeeded")]
    assert len(outbox) == 1  # only the refusal was emailed


def test_after_the_last_retry_the_coordinators_are_told(outbox, monkeypatch):
    refusals_read_as(monkeypatch)  # the bank: not enough money, four times
    today = paris_today()
    installment = card_installment()
    save_card(household_of(installment), CARD_DECLINED)
    coordinator = coordinator_of(group_of(installment))
    db.session.commit()

    planned = []
    for day in (today, today + days(2), today + days(5), today + days(9)):
        assert charge(day).counts == {Outcome.FAILED: 1}
        planned.append(installment.charge_retry_on)

    assert planned == [today + days(2), today + days(5), today + days(9), None]
    assert charge(today + days(30)).counts == {}  # no more automatic retries
    household_mail = [m for m in outbox if m["To"] == household_of(installment).email]
    assert len(household_mail) == 4
    assert "Il n'y aura pas de nouvel essai automatique" in message_text(household_mail[-1])
    (to_coordinator,) = [m for m in outbox if m["To"] == coordinator.email]
    assert household_of(installment).name in subject_of(to_coordinator)
    assert "/groupes/" in message_text(to_coordinator)
    assert "/gestion/paiements-carte" in message_text(to_coordinator)


def test_card_needing_authentication_asks_the_household_to_confirm(client, login, outbox):
    installment = card_installment()
    household = household_of(installment)
    save_card(household, CARD_NEEDS_AUTHENTICATION)
    db.session.commit()

    assert charge(paris_today()).counts == {Outcome.FAILED: 1}

    payment = db.session.scalars(select(CardPayment)).one()
    assert (payment.state, payment.failure_code) == ("failed", "authentication_required")
    assert installment.state == InstallmentState.FAILED
    assert installment.charge_retry_on is None  # only the cardholder can confirm
    (message,) = outbox
    assert subject_of(message).startswith("Confirmez votre paiement")
    text = message_text(message)
    assert "Votre banque demande que vous confirmiez vous-même ce paiement" in text
    link = f"/paiements/carte/echeances/{installment.id}"
    assert link in text
    login(household)
    assert client.get(link).status_code == 200  # the link opens the page to pay it


def test_a_refusal_reported_twice_is_dunned_once(outbox, monkeypatch):
    refusals_read_as(monkeypatch)  # the bank: not enough money this time
    installment = card_installment()
    save_card(household_of(installment), CARD_DECLINED)
    db.session.commit()
    charge(paris_today())
    payment = db.session.scalars(select(CardPayment)).one()
    retry_on = installment.charge_retry_on

    # The webhook reports the same refusal again.
    settlement.record_failure(payment, code="insufficient_funds", message="Insufficient funds.")
    db.session.commit()

    assert installment.charge_retry_on == retry_on
    assert len(outbox) == 1


def test_the_household_sees_the_refused_installment_on_its_statement(client, login):
    installment = card_installment()
    household = household_of(installment)
    save_card(household, CARD_DECLINED)
    db.session.commit()
    charge(paris_today())
    factories.MembershipFactory(user=household, organisation=group_of(installment), role="member")
    db.session.commit()

    login(household)
    page = client.get(f"/groupes/{group_of(installment).slug}/mon-releve")

    assert page.status_code == 200
    assert "Paiement refusé" in page.get_data(as_text=True)
