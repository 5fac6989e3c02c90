"""POST /stripe/webhook: signatures, replays, events in any order, refunds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.cards import gateway, settlement
from marketplace.cards.models import StripeEvent
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.cards.stripe_helpers import event_payload, payment_method, post_event, signature


def _live_payment(state: str = "requires_action"):
    subscription = factories.SubscriptionFactory(payment_method="card")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=4500)
    payment = factories.CardPaymentFactory(installment=installment, state=state)
    db.session.commit()
    return payment, installment


def _intent(payment, status: str, **extra) -> dict:
    return {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": payment.amount_cents,
        "status": status,
        "metadata": {"card_payment_id": str(payment.id)},
        **extra,
    }


def _payments_booked() -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def test_bad_signature_is_refused_and_nothing_is_stored(client, app):
    payment, _ = _live_payment()
    response = post_event(
        client,
        app,
        "payment_intent.succeeded",
        _intent(payment, "succeeded"),
        "evt_1",
        secret="whsec_wrong",
    )
    assert response.status_code == 400
    payload = event_payload("payment_intent.succeeded", _intent(payment, "succeeded"), "evt_2")
    missing = client.post("/stripe/webhook", data=payload, content_type="application/json")
    assert missing.status_code == 400
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    db.session.refresh(payment)
    assert payment.state == "requires_action" and _payments_booked() == 0


def test_succeeded_event_books_once_even_when_replayed(client, app):
    payment, installment = _live_payment()
    intent = _intent(payment, "succeeded")
    for _attempt in range(2):
        response = post_event(client, app, "payment_intent.succeeded", intent, "evt_ok")
        assert response.status_code == 200
    # Another event for the same success (Stripe may send both): still one payment.
    post_event(client, app, "payment_intent.succeeded", intent, "evt_ok_again")
    db.session.refresh(payment)
    db.session.refresh(installment)
    assert payment.state == "succeeded" and installment.state == "paid"
    assert _payments_booked() == 1
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 2
    stored = db.session.scalars(select(StripeEvent).order_by(StripeEvent.id)).first()
    assert stored.processed_at is not None and stored.type == "payment_intent.succeeded"


def test_events_in_reverse_order_keep_the_success(client, app, failed_charges):
    payment, installment = _live_payment()
    post_event(client, app, "payment_intent.succeeded", _intent(payment, "succeeded"), "evt_3")
    post_event(client, app, "payment_intent.processing", _intent(payment, "processing"), "evt_1")
    failed = _intent(
        payment,
        "requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    post_event(client, app, "payment_intent.payment_failed", failed, "evt_2")
    db.session.refresh(payment)
    db.session.refresh(installment)
    assert payment.state == "succeeded" and installment.state == "paid"
    assert _payments_booked() == 1 and failed_charges == []


def test_off_session_failure_marks_the_installment_failed(client, app, failed_charges):
    payment, installment = _live_payment(state="processing")
    payment.off_session = True
    db.session.commit()
    failed = _intent(
        payment,
        "requires_payment_method",
        last_payment_error={"code": "insufficient_funds", "message": "Fonds insuffisants."},
    )
    assert (
        post_event(client, app, "payment_intent.payment_failed", failed, "evt_f").status_code == 200
    )
    db.session.refresh(payment)
    db.session.refresh(installment)
    assert payment.state == "failed" and payment.failure_code == "insufficient_funds"
    assert installment.state == "failed"
    assert [p.id for p in failed_charges] == [payment.id]


def test_unknown_event_types_are_stored_only(client, app):
    response = post_event(client, app, "customer.created", {"id": "cus_x"}, "evt_c")
    assert response.status_code == 200
    assert db.session.scalars(select(StripeEvent.type)).all() == ["customer.created"]


@pytest.mark.usefixtures("stripe_server")
def test_charge_refunded_books_each_refund_once(client, app):
    subscription = factories.SubscriptionFactory(payment_method="card")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=4500)
    payment = settlement.new_payment(
        user=subscription.user,
        group_id=subscription.group_id,
        amount_cents=4500,
        installment=installment,
    )
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    settlement.record_intent(payment, intent)
    db.session.commit()
    gateway.client().v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    charge = {"id": "ch_x", "object": "charge", "payment_intent": intent.id}
    post_event(client, app, "charge.refunded", charge, "evt_r1")
    post_event(client, app, "charge.refunded", charge, "evt_r2")
    db.session.refresh(payment)
    assert payment.refunded_cents == 1000
    refunds = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")).all()
    assert [entry.amount_cents for entry in refunds] == [-1000]


def test_signature_helper_matches_stripe():
    payload = b"{}"
    header = signature(payload, "whsec_x")
    import stripe

    stripe.WebhookSignature.verify_header(payload.decode(), header, "whsec_x", 300)


@pytest.mark.usefixtures("stripe_server")
def test_a_refund_whose_handling_failed_is_booked_when_stripe_retries(client, app, monkeypatch):
    subscription = factories.SubscriptionFactory(payment_method="card")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=4500)
    payment = settlement.new_payment(
        user=subscription.user,
        group_id=subscription.group_id,
        amount_cents=4500,
        installment=installment,
    )
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    settlement.record_intent(payment, intent)
    db.session.commit()
    gateway.client().v1.refunds.create(params={"payment_intent": intent.id, "amount": 1500})
    charge = {"id": "ch_y", "object": "charge", "payment_intent": intent.id}
    real_list_refunds = gateway.list_refunds

    def unreachable(intent_id):
        raise gateway.GatewayUnavailable("Stripe unreachable")

    monkeypatch.setattr(gateway, "list_refunds", unreachable)
    assert post_event(client, app, "charge.refunded", charge, "evt_retry").status_code == 503
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0

    monkeypatch.setattr(gateway, "list_refunds", real_list_refunds)
    response = post_event(client, app, "charge.refunded", charge, "evt_retry")

    assert response.json == {"status": "processed"}
    db.session.refresh(payment)
    assert payment.refunded_cents == 1500
    refunds = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")).all()
    assert [entry.amount_cents for entry in refunds] == [-1500]
