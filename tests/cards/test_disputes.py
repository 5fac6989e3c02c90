"""Disputes and SEPA returns take the money back: the ledger, the installment, the coordinators."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.cards.dunning_helpers import card_installment, coordinator_of, group_of, subject_of
from tests.cards.stripe_helpers import post_event


def _paid_by_card(client, app, method="card"):
    installment = card_installment(method=method)
    coordinator_of(group_of(installment))
    payment = factories.CardPaymentFactory(
        installment=installment, state="processing", method=method, off_session=True
    )
    db.session.commit()
    intent = {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": payment.amount_cents,
        "status": "succeeded",
        "metadata": {"card_payment_id": str(payment.id)},
    }
    assert post_event(client, app, "payment_intent.succeeded", intent, "evt_ok").status_code == 200
    db.session.refresh(installment)
    assert installment.state == "paid"
    return payment, installment


def _dispute(payment, status="needs_response") -> dict:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": payment.amount_cents,
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "insufficient_funds",
        "status": status,
    }


def _entries(installment) -> list[int]:
    return db.session.scalars(
        select(LedgerEntry.amount_cents)
        .where(LedgerEntry.installment_id == installment.id)
        .order_by(LedgerEntry.id)
    ).all()


def test_a_returned_sepa_debit_unpays_the_installment_once_and_tells_the_coordinators(
    client, app, outbox
):
    payment, installment = _paid_by_card(client, app, method="sepa_debit")

    post_event(client, app, "charge.dispute.created", _dispute(payment), "evt_d1")
    post_event(client, app, "charge.dispute.funds_withdrawn", _dispute(payment), "evt_d2")

    db.session.refresh(installment)
    assert installment.state == "failed" and installment.charge_retry_on is None
    assert _entries(installment) == [4500, -4500]
    assert [subject_of(m) for m in outbox if subject_of(m).startswith("Paiement repris")] != []
    assert len([m for m in outbox if subject_of(m).startswith("Paiement repris")]) == 1


def test_a_dispute_won_books_the_money_back_and_the_installment_is_paid_again(client, app):
    payment, installment = _paid_by_card(client, app)
    post_event(client, app, "charge.dispute.created", _dispute(payment), "evt_d1")

    post_event(client, app, "charge.dispute.funds_reinstated", _dispute(payment), "evt_d2")
    post_event(client, app, "charge.dispute.closed", _dispute(payment, "won"), "evt_d3")

    db.session.refresh(installment)
    assert installment.state == "paid"
    assert _entries(installment) == [4500, -4500, 4500]
