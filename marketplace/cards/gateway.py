"""The one place that talks to Stripe (or to localstripe in development and tests).

Every call goes through a `stripe.StripeClient` built from the app's configuration, and every
Stripe error is turned into one of three exceptions the callers can act on:
`GatewayUnavailable` (network error, 5xx, rate limit: the outcome is unknown, retry later with
the same idempotency key), `CardDeclined` (the bank said no) and `GatewayRefused` (Stripe
refused the request itself: nothing was charged).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.cards.models import CardPayment, StripeCustomer
from marketplace.extensions import db

if TYPE_CHECKING:  # Stripe's library is imported on first use: most pages never need it.
    import stripe

CURRENCY = "eur"
EXTENSION_KEY = "stripe_client"

Result = TypeVar("Result")


class GatewayError(Exception):
    """Stripe could not do what was asked."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class GatewayUnavailable(GatewayError):  # noqa: N818 - names other modules rely on
    """Network error or Stripe-side failure: the outcome is unknown (the row stays `creating`)."""


class GatewayRefused(GatewayError):  # noqa: N818 - names other modules rely on
    """Stripe refused the request (bad parameters, wrong key): nothing happened."""


class CardDeclined(GatewayError):  # noqa: N818 - names other modules rely on
    """The card or the bank account was declined."""

    def __init__(self, code: str, message: str, intent_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.intent_id = intent_id


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object (or a webhook's JSON) as plain dicts, whichever it came as."""
    # No Stripe object exists before Stripe's library is imported.
    library = sys.modules.get("stripe")
    return obj.to_dict() if library and isinstance(obj, library.StripeObject) else obj


def init_app(app: Flask) -> None:
    """The Stripe client is built from STRIPE_SECRET_KEY and STRIPE_API_BASE (None: real
    Stripe) on first use, so that a worker imports Stripe's library only when it pays."""
    app.extensions[EXTENSION_KEY] = None


def client() -> stripe.StripeClient:
    built = current_app.extensions.get(EXTENSION_KEY)
    if built is None:
        import stripe

        base = current_app.config.get("STRIPE_API_BASE")
        built = stripe.StripeClient(
            current_app.config.get("STRIPE_SECRET_KEY") or "sk_test_unset",
            base_addresses={"api": base} if base else None,
            # Safe: every creation carries an idempotency key.
            max_network_retries=2,
        )
        current_app.extensions[EXTENSION_KEY] = built
    return built


def _call(operation: Callable[[], Result]) -> Result:
    import stripe

    try:
        return operation()
    except stripe.CardError as error:
        details = error.error
        intent = getattr(details, "payment_intent", None) if details else None
        intent_id = intent.get("id") if intent else None
        # The bank's reason ("insufficient_funds", "lost_card") when Stripe gives it.
        code = (getattr(details, "decline_code", None) if details else None) or error.code
        raise CardDeclined(
            code or "card_declined", error.user_message or str(error), intent_id
        ) from error
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise GatewayUnavailable(str(error)) from error
    except stripe.StripeError as error:
        status = error.http_status or 0
        if status >= 500 or status == 0:
            raise GatewayUnavailable(str(error)) from error
        raise GatewayRefused(error.user_message or str(error)) from error


def customer_id_for(user: User) -> str:
    """The household's Stripe customer id, created (in Stripe and here) the first time."""
    existing = db.session.scalar(
        select(StripeCustomer.stripe_customer_id).where(StripeCustomer.user_id == user.id)
    )
    if existing:
        return existing
    customer = _call(
        lambda: client().v1.customers.create(
            params={"email": user.email, "name": user.name, "metadata": {"user_id": str(user.id)}},
            options={"idempotency_key": f"customer-{user.id}"},
        )
    )
    try:
        with db.session.begin_nested():
            db.session.add(StripeCustomer(user_id=user.id, stripe_customer_id=customer.id))
    except IntegrityError:
        # Another request created it at the same time: keep the one already stored.
        return db.session.scalars(
            select(StripeCustomer.stripe_customer_id).where(StripeCustomer.user_id == user.id)
        ).one()
    db.session.flush()
    return customer.id


def create_intent(
    payment: CardPayment, *, payment_method_id: str | None, confirm: bool
) -> stripe.PaymentIntent:
    """Create the PaymentIntent of `payment` (its idempotency key, its amount, its method).

    Stores the intent's id on the row; the caller then hands the intent to
    `settlement.record_intent`.
    """
    params: dict[str, Any] = {
        "amount": payment.amount_cents,
        "currency": CURRENCY,
        "customer": customer_id_for(payment.user),
        "payment_method_types": [payment.method],
        "metadata": _metadata(payment),
    }
    if payment_method_id:
        params["payment_method"] = payment_method_id
    if confirm:
        params["confirm"] = True
        if payment.off_session:
            params["off_session"] = True
    try:
        intent = _call(
            lambda: client().v1.payment_intents.create(
                params=params, options={"idempotency_key": payment.idempotency_key}
            )
        )
    except CardDeclined as declined:
        if declined.intent_id and not payment.stripe_payment_intent_id:
            payment.stripe_payment_intent_id = declined.intent_id
            db.session.flush()
        raise
    if not payment.stripe_payment_intent_id:
        payment.stripe_payment_intent_id = intent.id
        db.session.flush()
    return intent


def _metadata(payment: CardPayment) -> dict[str, str]:
    metadata = {"card_payment_id": str(payment.id)}
    if payment.installment_id:
        metadata["installment_id"] = str(payment.installment_id)
    if payment.order_id:
        metadata["order_id"] = str(payment.order_id)
    if payment.membership_id:
        metadata["membership_id"] = str(payment.membership_id)
    return metadata


def fee_cents(intent: Any) -> int | None:
    """What Stripe kept of a succeeded intent: the fee of its charge's balance transaction.

    Read from the intent when its charge came expanded, else from Stripe (the charge with its
    balance transaction, or the balance transaction alone). None when unknown (no charge, no
    balance transaction yet, Stripe unreachable): the fee is information, reading it never
    stops a payment being booked.
    """
    intent = as_dict(intent)
    try:
        charge = intent.get("latest_charge")
        if not charge:
            return None
        if isinstance(charge, str):
            charge = as_dict(
                _call(
                    lambda: client().v1.charges.retrieve(
                        charge, params={"expand": ["balance_transaction"]}
                    )
                )
            )
        transaction = charge.get("balance_transaction")
        if isinstance(transaction, str):
            transaction = as_dict(
                _call(lambda: client().v1.balance_transactions.retrieve(transaction))
            )
        if not isinstance(transaction, dict) or transaction.get("fee") is None:
            return None
        return max(int(transaction["fee"]), 0)
    except Exception:  # noqa: BLE001 - any surprise: the fee stays unknown
        current_app.logger.warning(
            "Could not read the fee of intent %s", intent.get("id"), exc_info=True
        )
        return None


def retrieve_intent(intent_id: str) -> stripe.PaymentIntent:
    return _call(lambda: client().v1.payment_intents.retrieve(intent_id))


def create_setup_intent(user: User, method: str, purpose: str) -> stripe.SetupIntent:
    """A SetupIntent to collect a card or a SEPA mandate in the browser (`purpose`: "save" it
    for later installments, or "pay" now)."""
    customer = customer_id_for(user)
    return _call(
        lambda: client().v1.setup_intents.create(
            params={
                "customer": customer,
                "payment_method_types": [method],
                "usage": "off_session",
                "metadata": {"user_id": str(user.id), "purpose": purpose},
            }
        )
    )


def retrieve_setup_intent(setup_intent_id: str) -> stripe.SetupIntent:
    return _call(lambda: client().v1.setup_intents.retrieve(setup_intent_id))


def retrieve_payment_method(payment_method_id: str) -> stripe.PaymentMethod:
    return _call(lambda: client().v1.payment_methods.retrieve(payment_method_id))


def detach_payment_method(payment_method_id: str) -> None:
    _call(lambda: client().v1.payment_methods.detach(payment_method_id))


def create_refund(payment: CardPayment, amount_cents: int, idempotency_key: str) -> stripe.Refund:
    return _call(
        lambda: client().v1.refunds.create(
            params={
                "payment_intent": payment.stripe_payment_intent_id,
                "amount": amount_cents,
                "metadata": {"card_payment_id": str(payment.id)},
            },
            options={"idempotency_key": idempotency_key},
        )
    )


def list_refunds(intent_id: str) -> list[stripe.Refund]:
    """The refunds of a payment (webhook `charge.refunded` books each of them once)."""
    refunds = _call(lambda: client().v1.refunds.list(params={"payment_intent": intent_id}))
    return list(refunds.data)


def cancel_intent(intent_id: str) -> stripe.PaymentIntent:
    """Cancel a PaymentIntent nobody will complete (an abandoned 3-D Secure confirmation)."""
    return _call(lambda: client().v1.payment_intents.cancel(intent_id))


def mandate_reference(customer_id: str, payment_method_id: str) -> str:
    """The reference (RUM) of the SEPA mandate a SetupIntent signed for this payment method,
    "" when Stripe has none."""
    setups = _call(
        lambda: client().v1.setup_intents.list(
            params={"customer": customer_id, "payment_method": payment_method_id, "limit": 1}
        )
    )
    mandate_id = next((setup.get("mandate") for setup in setups.data if setup.get("mandate")), None)
    if not mandate_id:
        return ""
    mandate = as_dict(_call(lambda: client().v1.mandates.retrieve(mandate_id)))
    details = (mandate.get("payment_method_details") or {}).get("sepa_debit") or {}
    return details.get("reference") or ""
