"""Test helpers for card payments: localstripe payment methods and signed webhook events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from marketplace.cards import gateway

# Test numbers localstripe knows (see localstripe/resources.py).
CARD_OK = "4242424242424242"
CARD_NEEDS_AUTHENTICATION = "4000002500003155"
CARD_DECLINED = "4000000000000341"  # attaches, then the charge is declined
IBAN_OK = "FR1420041010050500013M02606"
IBAN_DECLINED = "DE62370400440532013001"


def payment_method(number: str = CARD_OK) -> str:
    """A card payment method created in localstripe, as Stripe.js would."""
    method = gateway.client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def sepa_method(iban: str = IBAN_OK) -> str:
    method = gateway.client().v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "Foyer Dupont", "email": "foyer@example.org"},
        }
    )
    return method.id


def event_payload(event_type: str, obj: dict[str, Any], event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "api_version": "2024-06-20",
            "data": {"object": obj},
        }
    ).encode()


def signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client, app, event_type: str, obj: dict[str, Any], event_id: str, secret=None):
    payload = event_payload(event_type, obj, event_id)
    secret = secret or app.config["STRIPE_WEBHOOK_SECRET"]
    return client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature(payload, secret)},
    )
