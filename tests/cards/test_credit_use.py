"""A household's credit pays its next installments before its card is charged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.cards.charging import Outcome, charge_due_installments
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests.cards.dunning_helpers import intents_of, save_card
from tests.payments.credit_scene import make_credit_scene

pytestmark = pytest.mark.usefixtures("stripe_server")


def card_scene(first_cents: int):
    """A 40 € credit; the other contract pays by card, its first installment due today."""
    scene = make_credit_scene()
    scene.other.payment_method = "card"
    first, *later = scene.other_installments
    first.amount_cents, first.due_on = first_cents, paris_today()
    for installment in later:
        installment.due_on = paris_today() + timedelta(days=30 * installment.sequence)
    save_card(scene.member)
    db.session.commit()
    return scene, first


def charge():
    return charge_due_installments(paris_today(), now=utcnow(), commit=db.session.commit)


def test_a_credit_larger_than_the_installment_pays_it_and_nothing_is_charged():
    scene, first = card_scene(2500)

    assert charge().counts == {Outcome.CREDITED: 1}

    assert first.state == "paid"
    assert scene.other_installments[1].amount_cents == 1000  # 40 € - 25 € carried on
    assert scene.credit.remaining_cents == 0
    assert intents_of(scene.member) == []
    labels = db.session.scalars(
        select(LedgerEntry.label).where(LedgerEntry.installment_id == first.id)
    ).all()
    assert any(label.startswith("Avoir du contrat « Légumes de saison »") for label in labels)
    assert charge().counts == {}


def test_only_what_the_credit_leaves_is_charged():
    scene, first = card_scene(6000)

    assert charge().counts == {Outcome.SUCCEEDED: 1}

    payment = db.session.scalars(select(CardPayment)).one()
    assert payment.amount_cents == 2000 == first.amount_cents
    assert [intent.amount for intent in intents_of(scene.member)] == [2000]
    assert first.state == "paid" and scene.credit.remaining_cents == 0


def test_the_rule_can_leave_credits_to_be_refunded(make_app):
    scene, first = card_scene(2500)
    refunding = make_app(CREDITS_PAY_NEXT_INSTALLMENTS=False)

    with refunding.app_context():
        assert charge().counts == {Outcome.SUCCEEDED: 1}

    db.session.refresh(scene.credit)
    assert scene.credit.remaining_cents == 4000
