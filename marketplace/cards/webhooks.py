"""POST /stripe/webhook: Stripe tells what became of payments, refunds and saved methods.

The signature is checked on the raw body; each event is stored by its Stripe id in the same
transaction as its effects, so a replay (Stripe retries until it gets a 2xx) changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.cards import disputes, gateway, saved_methods, settlement
from marketplace.cards.models import StripeEvent
from marketplace.db import utcnow
from marketplace.extensions import csrf, db
from marketplace.security import public

bp = Blueprint("stripe_webhooks", __name__)
log = logging.getLogger(__name__)

WEBHOOK_MAX_BYTES = 256 * 1024

INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.canceled",
)


@bp.post("/stripe/webhook")
@public
@csrf.exempt
def receive():
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        # No signing secret configured: no event can be trusted (never a public default).
        return {"error": "webhook not configured"}, 503
    request.max_content_length = WEBHOOK_MAX_BYTES  # Stripe's events are a few kilobytes
    payload = request.get_data()
    import stripe  # on first use: most workers' pages never need it

    try:
        event = stripe.Webhook.construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return {"error": "bad signature"}, 400
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.stripe_event_id == event["id"])):
        return {"status": "already processed"}, 200
    stored = StripeEvent(
        stripe_event_id=event["id"], type=event["type"], payload=payload.decode("utf-8")
    )
    try:
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        db.session.rollback()
        return {"status": "already processed"}, 200  # the same event, delivered twice at once
    try:
        handle(event["type"], gateway.as_dict(event["data"]["object"]))
    except gateway.GatewayUnavailable:
        # Stripe sends the event again later; store nothing until it can be handled.
        db.session.rollback()
        return {"error": "retry later"}, 503
    stored.processed_at = utcnow()
    db.session.commit()
    return {"status": "processed"}, 200


def handle(event_type: str, obj: Any) -> None:
    """Apply one event's effects (flush, never commit); unknown types are only stored."""
    if event_type in INTENT_EVENTS:
        _intent_event(event_type, obj)
    elif event_type == "charge.refunded":
        _charge_refunded(obj)
    elif event_type.startswith("charge.dispute."):
        disputes.on_dispute(event_type, obj)
    elif event_type == "setup_intent.succeeded":
        saved_methods.save_from_setup_intent(obj)


def _intent_event(event_type: str, intent: Any) -> None:
    payment = settlement.payment_for_intent(intent["id"]) or _payment_from_metadata(intent)
    if payment is None:
        log.info("Stripe event %s for an unknown payment %s", event_type, intent["id"])
        return
    if event_type == "payment_intent.canceled":
        settlement.record_canceled(payment)
    elif event_type == "payment_intent.payment_failed":
        error = intent.get("last_payment_error") or {}
        settlement.record_failure(
            payment,
            code=error.get("decline_code") or error.get("code") or "card_declined",
            message=error.get("message") or "",
        )
    else:
        settlement.record_intent(payment, intent)


def _payment_from_metadata(intent: Any):
    """An intent created but whose answer never reached us (timeout): found by our row id."""
    from marketplace.cards.models import CardPayment

    raw_id = (intent.get("metadata") or {}).get("card_payment_id")
    if not raw_id or not str(raw_id).isdigit():
        return None
    payment = db.session.get(CardPayment, int(raw_id))
    if payment is None or payment.stripe_payment_intent_id not in (None, intent["id"]):
        return None
    payment.stripe_payment_intent_id = intent["id"]
    return payment


def _charge_refunded(charge: Any) -> None:
    intent_id = charge.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    payment = settlement.payment_for_intent(intent_id) if intent_id else None
    if payment is None:
        return
    for refund in map(gateway.as_dict, gateway.list_refunds(intent_id)):
        if refund["status"] in ("succeeded", "pending"):
            settlement.record_refund(payment, refund_id=refund["id"], amount_cents=refund["amount"])
