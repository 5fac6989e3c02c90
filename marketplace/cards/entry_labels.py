"""The words and links of a card or SEPA payment's ledger entries (its label, its contract)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.cards.models import CardPayment
from marketplace.extensions import db
from marketplace.payments.statements import subscriptions_table


def offer_of(subscription_id: int | None) -> int | None:
    if subscription_id is None:
        return None
    subscriptions = subscriptions_table()
    return db.session.scalar(
        select(subscriptions.c.offer_id).where(subscriptions.c.id == subscription_id)
    )


def method_name(payment: CardPayment) -> str:
    return _("prélèvement SEPA") if payment.method == "sepa_debit" else _("carte bancaire")


def payment_label(payment: CardPayment) -> str:
    if payment.membership_id is not None:
        return _("Paiement d'une adhésion par %(method)s", method=method_name(payment))
    if payment.order_id is not None:
        return _(
            "Paiement de la commande n° %(id)s par %(method)s",
            id=payment.order_id,
            method=method_name(payment),
        )
    return _("Paiement d'une échéance par %(method)s", method=method_name(payment))


def refund_label(payment: CardPayment) -> str:
    return _("Remboursement sur %(method)s", method=method_name(payment))
