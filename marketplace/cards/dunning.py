"""What happens after a charge made without the household fails: retries and emails.

Only a refusal time can fix (not enough money this week, the bank busy, a spending limit
reached: RETRYABLE_DECLINES) is tried again, 2, 5 and 9 days after the first refusal, then no
more: the coordinators are told. Any other refusal (a plain "declined", a lost or expired card,
a closed account) is never retried automatically: the household is told at once to pay online
or save another card or mandate, the coordinators are told at once, and the saved method is
marked `declined_at` so that later installments are not charged with it either (the scheduler
treats the household as having no usable method) until the household pays online with it or
saves a method again. Each refusal emails the household, in its language, with the reason and
a link to pay online or another way. A bank asking the cardholder to confirm (3-D Secure)
cannot be retried without them: the email asks them to confirm online instead.

`settlement.record_failure` calls `on_charge_failed` once per payment, on its move to
`failed` (the emails rely on that); the retry date is computed from the recorded payments
alone, so calling it again plans the same date.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, timedelta

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace.accounts.models import User
from marketplace.cards.installments import (
    InstallmentContext,
    context_of,
    coordinators_of,
    pay_installment_url,
)
from marketplace.cards.models import CardPayment, CardPaymentState, SavedPaymentMethod
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.payments.models import Installment, InstallmentState
from marketplace.payments.money import format_money
from marketplace.timezones import paris_today

logger = logging.getLogger(__name__)

# Automatic retries after the first refused charge, in days; then the coordinators are told.
RETRY_AFTER_DAYS = (2, 5, 9)
AUTHENTICATION_CODES = ("authentication_required", "payment_intent_authentication_failure")
NO_SAVED_METHOD = "no_saved_method"  # not a Stripe code: there was nothing to charge
DECLINED_METHOD = "declined_method"  # not a Stripe code: only a method refused for good is saved

# Stripe's decline codes, in words a household understands (Stripe's own message is English).
FAILURE_REASONS = {
    "insufficient_funds": _l("La provision du compte était insuffisante."),
    "expired_card": _l("La carte enregistrée a expiré."),
    "lost_card": _l("La carte enregistrée a été déclarée perdue."),
    "stolen_card": _l("La carte enregistrée a été déclarée volée."),
    "incorrect_cvc": _l("Le code de sécurité de la carte est incorrect."),
    "processing_error": _l("Une erreur technique est survenue chez la banque."),
    "authentication_required": _l("Votre banque demande que vous confirmiez ce paiement."),
    "payment_intent_authentication_failure": _l(
        "Votre banque demande que vous confirmiez ce paiement."
    ),
    NO_SAVED_METHOD: _l("Aucune carte ni aucun mandat SEPA n'est enregistré pour ce paiement."),
    DECLINED_METHOD: _l(
        "La carte ou le mandat SEPA enregistré a déjà été refusé par la banque : "
        "nous ne l'utilisons plus sans votre accord."
    ),
    "card_declined": _l("Votre banque a refusé le paiement."),
    "generic_decline": _l("Votre banque a refusé le paiement."),
    "do_not_honor": _l("Votre banque a refusé le paiement sans en donner la raison."),
    "card_not_supported": _l("Cette carte n'accepte pas ce type de paiement."),
    "currency_not_supported": _l("Cette carte n'accepte pas les paiements en euros."),
    "incorrect_number": _l("Le numéro de la carte est incorrect."),
    "invalid_expiry_month": _l("La date d'expiration de la carte est incorrecte."),
    "invalid_expiry_year": _l("La date d'expiration de la carte est incorrecte."),
    "pickup_card": _l("La carte ne peut plus être utilisée : contactez votre banque."),
    "restricted_card": _l("La carte ne peut plus être utilisée : contactez votre banque."),
    "fraudulent": _l("Votre banque a refusé le paiement."),
    "try_again_later": _l("Votre banque n'a pas pu traiter le paiement : réessayez plus tard."),
    "card_velocity_exceeded": _l("Le plafond de paiement de la carte est atteint."),
    "withdrawal_count_limit_exceeded": _l("Le plafond de paiement de la carte est atteint."),
    "account_closed": _l("Le compte bancaire du mandat SEPA est clos."),
    "no_account": _l("Le compte bancaire du mandat SEPA n'existe pas."),
    "debit_not_authorized": _l("Le titulaire du compte a refusé ce prélèvement."),
    "refused": _l("Le service de paiement a refusé la demande."),
    "abandoned": _l("Le paiement n'a pas été confirmé à temps : il a été annulé."),
}
GENERIC_REASON = _l("Votre banque a refusé le paiement.")
# Refusals time can fix: the same card or mandate is tried again on RETRY_AFTER_DAYS. Any
# other refusal is final: not retried, and the method is not charged again without the household.
RETRYABLE_DECLINES = frozenset(
    {
        "insufficient_funds",  # cards and SEPA debits alike
        "try_again_later",
        "processing_error",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
    }
)


def failure_reason(code: str) -> str:
    return str(FAILURE_REASONS.get(code, GENERIC_REASON))


def needs_authentication(code: str) -> bool:
    return code in AUTHENTICATION_CODES


def is_final(code: str) -> bool:
    """A refusal the same method would give again: not retried, the method set aside."""
    return code not in RETRYABLE_DECLINES and not needs_authentication(code)


def next_retry_on(failed_attempts: int, first_failed_on: date, failed_on: date) -> date | None:
    """When to charge again after the `failed_attempts`-th refusal (None: no more retries):
    2, 5 then 9 days after the first refusal, and never sooner than the next day."""
    if failed_attempts > len(RETRY_AFTER_DAYS):
        return None
    planned = first_failed_on + timedelta(days=RETRY_AFTER_DAYS[failed_attempts - 1])
    return max(planned, failed_on + timedelta(days=1))


def _automatic_failures_until(payment: CardPayment) -> list[CardPayment]:
    """Refused charges made without the household for this installment, up to this one."""
    return list(
        db.session.scalars(
            select(CardPayment)
            .where(
                CardPayment.installment_id == payment.installment_id,
                CardPayment.state == CardPaymentState.FAILED.value,
                or_(CardPayment.off_session.is_(True), CardPayment.method == "sepa_debit"),
                CardPayment.id <= payment.id,
            )
            .order_by(CardPayment.id)
        )
    )


def on_charge_failed(payment: CardPayment) -> None:
    """A charge made without the household was refused: plan the retry and tell people."""
    if payment.installment_id is None or payment.state != CardPaymentState.FAILED.value:
        return
    context = context_of(payment.installment_id)
    if context is None or context.installment.state != InstallmentState.FAILED.value:
        return
    installment = context.installment
    if is_final(payment.failure_code):
        _set_aside(payment)
    if payment.failure_code not in RETRYABLE_DECLINES:
        retry_on = None  # only the household can act: confirm, or pay another way
    else:
        failures = _automatic_failures_until(payment)
        retry_on = next_retry_on(
            len(failures), paris_today(failures[0].created_at), paris_today(payment.created_at)
        )
    installment.charge_retry_on = retry_on
    db.session.flush()
    _tell_household(
        context,
        code=payment.failure_code,
        retry_on=retry_on,
        set_aside=is_final(payment.failure_code),
    )
    if retry_on is None and not needs_authentication(payment.failure_code):
        _tell_coordinators(context, code=payment.failure_code)


def _set_aside(payment: CardPayment) -> None:
    """The saved method refused for good is not charged again without the household."""
    if payment.saved_payment_method_id is None:
        return
    saved = db.session.get(SavedPaymentMethod, payment.saved_payment_method_id)
    if saved is not None and saved.declined_at is None:
        saved.declined_at = utcnow()


def on_missing_method(context: InstallmentContext, *, declined: bool = False) -> None:
    """A card or SEPA installment fell due with nothing usable saved to charge (nothing, or
    only a method refused for good): it is unpaid, and the household is asked to pay online
    or save another method (nothing to retry automatically)."""
    installment = context.installment
    installment.state = InstallmentState.FAILED.value
    installment.charge_retry_on = None
    db.session.flush()
    _tell_household(
        context,
        code=DECLINED_METHOD if declined else NO_SAVED_METHOD,
        retry_on=None,
        set_aside=declined,
    )


def on_returned_elsewhere(context: InstallmentContext, *, reason: str) -> None:
    """A debit the group collects itself (marketplace.direct_debit) was rejected or returned by
    the household's bank: like a final refusal, it is unpaid and not retried automatically,
    and the household and the coordinators are told why."""
    installment = context.installment
    installment.state = InstallmentState.FAILED.value
    installment.charge_retry_on = None
    db.session.flush()
    _tell_household(context, code="", retry_on=None, reason=reason)
    _tell_coordinators(context, code="", reason=reason)


def stop_retries(installment: Installment) -> None:
    """A coordinator stops the automatic retries (the household pays another way)."""
    installment.charge_retry_on = None
    db.session.flush()


def _tell_household(
    context: InstallmentContext,
    *,
    code: str,
    retry_on: date | None,
    reason: str | None = None,
    set_aside: bool = False,
) -> None:
    user, installment = context.user, context.installment
    confirm = needs_authentication(code)
    with force_locale(user.language):
        subject = (
            _("Confirmez votre paiement : %(offer)s", offer=context.offer_name)
            if confirm
            else _("Paiement refusé : %(offer)s", offer=context.offer_name)
        )
        _send(
            user,
            subject,
            "email/card_charge_failed",
            user=user,
            group=context.group,
            installment=installment,
            offer_name=context.offer_name,
            reason=reason or failure_reason(code),
            confirm=confirm,
            retry_on=retry_on,
            set_aside=set_aside,
            methods_link=absolute_url("cards.saved_methods"),
            pay_link=pay_installment_url(installment.id),
            statement_link=absolute_url("payments.my_statement", slug=context.group.slug),
        )


def _tell_coordinators(
    context: InstallmentContext, *, code: str, reason: str | None = None
) -> None:
    link = absolute_url("card_followup.index", slug=context.group.slug)
    for coordinator in coordinators_of(context.group.id):
        with force_locale(coordinator.language):
            _send(
                coordinator,
                _(
                    "Échéance impayée après plusieurs essais : %(name)s",
                    name=context.user.name,
                ),
                "email/card_retries_exhausted",
                coordinator=coordinator,
                household=context.user,
                group=context.group,
                installment=context.installment,
                offer_name=context.offer_name,
                reason=reason or failure_reason(code),
                amount=format_money(context.installment.amount_cents),
                due_on=format_date(context.installment.due_on, "long"),
                link=link,
            )


def _send(recipient: User, subject: str, template: str, **context) -> None:
    # The refusal is recorded whatever happens to the email: an outage of the mail server
    # must not undo it (and the coordinators' page shows every refused charge anyway).
    try:
        send_email(recipient.email, subject, template, **context)
    except (smtplib.SMTPException, OSError):
        logger.exception("Email %s to user %s failed", template, recipient.id)
