"""Disputes and SEPA returns: money Stripe takes back from a payment that had succeeded.

A card payment contested by its holder, or a SEPA debit the bank returns weeks later, comes
as `charge.dispute.*` webhooks. When the money is withdrawn (`created`, `funds_withdrawn`),
a correction is booked once (by the dispute's id), the installment is unpaid again (failed,
no automatic retry: the household pays another way) and the coordinators are told. If the
group wins the dispute (`funds_reinstated`, or `closed` as won), the money is booked back
once and the installment is paid again.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.cards import settlement
from marketplace.cards.installments import context_of, coordinators_of
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.payments.entry_words import Words, words
from marketplace.payments.models import InstallmentState, LedgerEntry
from marketplace.payments.money import format_money

logger = logging.getLogger(__name__)

WITHDRAWN = ("charge.dispute.created", "charge.dispute.funds_withdrawn")
REINSTATED = ("charge.dispute.funds_reinstated",)


def on_dispute(event_type: str, dispute: dict[str, Any]) -> None:
    intent_id = dispute.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    payment = settlement.payment_for_intent(intent_id) if intent_id else None
    if payment is None or payment.state != CardPaymentState.SUCCEEDED.value:
        logger.info("Dispute %s for an unknown payment %s", dispute.get("id"), intent_id)
        return
    won = event_type == "charge.dispute.closed" and dispute.get("status") == "won"
    if event_type in WITHDRAWN:
        _withdrawn(payment, dispute)
    elif event_type in REINSTATED or won:
        _reinstated(payment, dispute)


def _label(payment: CardPayment) -> Words:
    return words("debit_returned" if payment.method == "sepa_debit" else "card_disputed")


def _withdrawn(payment: CardPayment, dispute: dict[str, Any]) -> None:
    amount = int(dispute.get("amount") or payment.amount_cents)
    if not settlement.book_adjustment(
        payment, amount_cents=-amount, reference=dispute["id"], label=_label
    ):
        return  # already booked: the same dispute told twice
    installment = payment.installment
    if installment is not None:
        installment.state = InstallmentState.FAILED.value
        installment.paid_at = None
        installment.charge_retry_on = None
    db.session.flush()
    _tell_coordinators(payment, amount, dispute.get("reason") or "")


def _reinstated(payment: CardPayment, dispute: dict[str, Any]) -> None:
    if not _booked(payment, dispute["id"]):
        return  # nothing was taken back
    amount = int(dispute.get("amount") or payment.amount_cents)
    if not settlement.book_adjustment(
        payment,
        amount_cents=amount,
        reference=f"{dispute['id']}:reinstated",
        label=lambda _payment: words("dispute_won"),
    ):
        return  # already booked back
    installment = payment.installment
    if installment is not None and installment.state == InstallmentState.FAILED.value:
        installment.state = InstallmentState.PAID.value
        installment.paid_at = utcnow()
    db.session.flush()


def _booked(payment: CardPayment, reference: str) -> bool:
    return bool(
        db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.group_id == payment.group_id,
                LedgerEntry.external_reference == reference,
            )
        )
    )


def _tell_coordinators(payment: CardPayment, amount: int, reason: str) -> None:
    context = context_of(payment.installment_id) if payment.installment_id else None
    if context is None:
        return
    link = absolute_url("card_followup.index", slug=context.group.slug)
    for coordinator in coordinators_of(context.group.id):
        with force_locale(coordinator.language):
            try:
                send_email(
                    coordinator.email,
                    _("Paiement repris par la banque : %(name)s", name=context.user.name),
                    "email/card_disputed",
                    coordinator=coordinator,
                    household=context.user,
                    group=context.group,
                    offer_name=context.offer_name,
                    amount=format_money(amount),
                    due_on=format_date(context.installment.due_on, "long"),
                    sepa=payment.method == "sepa_debit",
                    reason=reason,
                    link=link,
                )
            except (smtplib.SMTPException, OSError):
                logger.exception("Dispute email to user %s failed", coordinator.id)
