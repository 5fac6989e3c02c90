"""A payment that arrives for an installment already settled is given back, and said so.

It happens when a household completes a card payment (3-D Secure, a SEPA debit) after the
installment was paid another way, or after its attempt was given up. The payment is booked
like any other (the ledger follows the euros), then refunded in full through Stripe at once,
booked once by the refund's id, and the household is told. If Stripe refuses or cannot be
reached, the money stays as a balance in the household's favour on its statement, and the
coordinators are told too, to refund it or carry it to the next installments.
"""

from __future__ import annotations

import logging
import smtplib

from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.cards import gateway
from marketplace.cards.installments import context_of, coordinators_of
from marketplace.cards.models import CardPayment
from marketplace.mail import absolute_url, send_email
from marketplace.payments.money import format_money

logger = logging.getLogger(__name__)


def give_back(payment: CardPayment) -> bool:
    """Refund what is left of `payment` (the installment was already settled); True if done."""
    from marketplace.cards import settlement

    amount = settlement.refundable_cents(payment)
    if amount <= 0:
        return True
    try:
        created = gateway.as_dict(
            gateway.create_refund(payment, amount, f"duplicate-refund-{payment.id}")
        )
    except gateway.GatewayError:
        logger.exception("Refund of duplicate payment %s failed", payment.id)
        _tell(payment, refunded=False)
        return False
    settlement.record_refund(payment, refund_id=created["id"], amount_cents=created["amount"])
    _tell(payment, refunded=True)
    return True


def _tell(payment: CardPayment, *, refunded: bool) -> None:
    if payment.installment_id is None:
        return  # a membership fee's: its refund shows on the statement, no email yet
    context = context_of(payment.installment_id)
    if context is None:
        return
    recipients = [context.user] + ([] if refunded else coordinators_of(context.group.id))
    for recipient in recipients:
        with force_locale(recipient.language):
            subject = _("Paiement reçu en double : %(offer)s", offer=context.offer_name)
            try:
                send_email(
                    recipient.email,
                    subject,
                    "email/card_duplicate_payment",
                    recipient=recipient,
                    household=context.user,
                    group=context.group,
                    installment=context.installment,
                    offer_name=context.offer_name,
                    amount=format_money(payment.amount_cents),
                    refunded=refunded,
                    statement_link=absolute_url("payments.my_statement", slug=context.group.slug),
                )
            except (smtplib.SMTPException, OSError):
                logger.exception("Email about duplicate payment %s failed", payment.id)
