"""Cards and SEPA mandates a household saved (through a SetupIntent) for later installments."""

from __future__ import annotations

import contextlib
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.cards import gateway, mandate_terms
from marketplace.cards.models import STRIPE_METHODS, SavedPaymentMethod, StripeCustomer
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db

PURPOSE_SAVE = "save"  # SetupIntent metadata: saved as soon as Stripe says it succeeded
PURPOSE_PAY = "pay"  # collected to pay now; saved only if the household asked for it


def methods_of(user: User) -> list[SavedPaymentMethod]:
    return list(
        db.session.scalars(
            select(SavedPaymentMethod)
            .where(SavedPaymentMethod.user_id == user.id, SavedPaymentMethod.removed_at.is_(None))
            .order_by(SavedPaymentMethod.is_default.desc(), SavedPaymentMethod.id.desc())
        )
    )


def own_method(user: User, method_id: int) -> SavedPaymentMethod | None:
    method = db.session.get(SavedPaymentMethod, method_id)
    if method is None or method.user_id != user.id or method.removed_at is not None:
        return None
    return method


def succeeded_setup_method(user: User, setup_intent_id: str) -> str:
    """The payment method of the household's own SetupIntent, once Stripe says it succeeded."""
    if not setup_intent_id.startswith("seti_"):
        raise DomainError(_("La saisie de la carte n'a pas abouti : recommencez."))
    setup = gateway.as_dict(gateway.retrieve_setup_intent(setup_intent_id))
    if setup["customer"] != gateway.customer_id_for(user):
        raise DomainError(_("La saisie de la carte n'a pas abouti : recommencez."))
    if setup["status"] != "succeeded" or not setup.get("payment_method"):
        raise DomainError(_("La carte ou le mandat n'a pas été confirmé : recommencez."))
    method = setup["payment_method"]
    return method if isinstance(method, str) else method["id"]


def save(user: User, payment_method_id: str) -> SavedPaymentMethod:
    """Keep a Stripe payment method as the household's default one (once)."""
    existing = db.session.scalar(
        select(SavedPaymentMethod).where(
            SavedPaymentMethod.stripe_payment_method_id == payment_method_id
        )
    )
    if existing is not None:
        existing.declined_at = None  # saved again: the household vouches for it
        db.session.flush()
        return existing
    details = gateway.as_dict(gateway.retrieve_payment_method(payment_method_id))
    method = details["type"]
    if method not in STRIPE_METHODS:
        raise DomainError(_("Ce moyen de paiement n'est pas accepté."))
    _clear_default(user.id)
    saved = SavedPaymentMethod(
        user_id=user.id,
        stripe_payment_method_id=payment_method_id,
        method=method,
        is_default=True,
        **_description(details),
    )
    if saved.method == "sepa_debit" and not saved.mandate_reference:
        saved.mandate_reference = _signed_mandate_reference(user, payment_method_id)
    db.session.add(saved)
    db.session.flush()
    if saved.method == "sepa_debit":
        mandate_terms.send(user, saved)
    return saved


def _signed_mandate_reference(user: User, payment_method_id: str) -> str:
    """Stripe keeps a SEPA mandate's reference on the mandate its SetupIntent signed."""
    try:
        return gateway.mandate_reference(gateway.customer_id_for(user), payment_method_id)[:35]
    except gateway.GatewayError:
        return ""  # the mandate stays valid; its reference is shown in Stripe's dashboard


def _description(details: Any) -> dict[str, Any]:
    if details["type"] == "card":
        card = details["card"]
        return {
            "brand": (card.get("brand") or "")[:30],
            "last4": card.get("last4") or "",
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
        }
    sepa = details["sepa_debit"]
    return {
        "brand": (sepa.get("bank_code") or "")[:30],
        "last4": sepa.get("last4") or "",
        "mandate_reference": (sepa.get("mandate_reference") or "")[:35],
    }


def save_from_setup_intent(setup_intent: Any) -> SavedPaymentMethod | None:
    """Webhook `setup_intent.succeeded`: save a method collected on the "add" page."""
    setup_intent = gateway.as_dict(setup_intent)
    if (setup_intent.get("metadata") or {}).get("purpose") != PURPOSE_SAVE:
        return None
    user_id = db.session.scalar(
        select(StripeCustomer.user_id).where(
            StripeCustomer.stripe_customer_id == setup_intent.get("customer")
        )
    )
    method = setup_intent.get("payment_method")
    if user_id is None or not method:
        return None
    method_id = method if isinstance(method, str) else method["id"]
    return save(db.session.get(User, user_id), method_id)


def make_default(method: SavedPaymentMethod) -> None:
    _clear_default(method.user_id)
    method.is_default = True
    db.session.flush()


def remove(method: SavedPaymentMethod) -> None:
    """Forget a method here and in Stripe; the newest remaining one becomes the default."""
    # Already detached (or unknown to Stripe): forgetting it here is what matters.
    with contextlib.suppress(gateway.GatewayRefused):
        gateway.detach_payment_method(method.stripe_payment_method_id)
    was_default = method.is_default
    method.removed_at = utcnow()
    method.is_default = False
    db.session.flush()
    if was_default:
        remaining = db.session.scalar(
            select(SavedPaymentMethod)
            .where(
                SavedPaymentMethod.user_id == method.user_id,
                SavedPaymentMethod.removed_at.is_(None),
            )
            .order_by(SavedPaymentMethod.id.desc())
            .limit(1)
        )
        if remaining is not None:
            remaining.is_default = True
            db.session.flush()


def _clear_default(user_id: int) -> None:
    db.session.execute(
        update(SavedPaymentMethod)
        .where(SavedPaymentMethod.user_id == user_id, SavedPaymentMethod.is_default.is_(True))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
