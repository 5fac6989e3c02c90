"""Telling households that an installment falls due in three days.

An installment is claimed by a conditional UPDATE of `reminded_at` before its email is sent,
so two runs at once never remind twice; a failed send hands the claim back for the next run.
Installments due in fewer than three days are reminded too: the job may have been down.

For a SEPA direct debit the reminder is the legal pre-notification: it is sent
SEPA_NOTICE_DAYS (a setting, 14 by default) ahead, also for a debit already due but never
notified (the scheduler was down), and the charging job debits nothing until the notice is
that old (see `notice_given`); the email gives the date the account will really be debited.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import and_, or_, update

from marketplace.cards.installments import (
    ACTIVE_SUBSCRIPTION,
    InstallmentContext,
    context_query,
    contexts,
    method_for_contract,
    pay_installment_url,
)
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.payments.models import Installment, InstallmentState, PaymentMethod
from marketplace.payments.money import format_money
from marketplace.payments.statements import subscriptions_table
from marketplace.timezones import paris_today

REMIND_DAYS_AHEAD = 3

logger = logging.getLogger(__name__)


def sepa_notice_days() -> int:
    return int(current_app.config.get("SEPA_NOTICE_DAYS", 14))


def notice_given(installment: Installment, today: date) -> bool:
    """May a SEPA debit of `installment` be made today: was the household told long enough ago?"""
    if installment.reminded_at is None:
        return False
    return paris_today(installment.reminded_at) + timedelta(days=sepa_notice_days()) <= today


def debit_on(installment: Installment, today: date) -> date:
    """The day a SEPA debit notified today will be made."""
    return max(installment.due_on, today + timedelta(days=sepa_notice_days()))


def installments_to_remind(today: date) -> list[InstallmentContext]:
    """Planned installments of active subscriptions not yet reminded: due within three days,
    or, by SEPA debit, within the notice period or already due (never notified)."""
    subscriptions = subscriptions_table()
    sepa = subscriptions.c.payment_method == PaymentMethod.SEPA.value
    return contexts(
        context_query()
        .where(
            Installment.state == InstallmentState.PLANNED.value,
            Installment.reminded_at.is_(None),
            or_(
                and_(
                    ~sepa,
                    # Debited by the group itself: its own pre-notification (direct_debit).
                    subscriptions.c.payment_method != PaymentMethod.DIRECT_DEBIT.value,
                    Installment.due_on >= today,
                    Installment.due_on <= today + timedelta(days=REMIND_DAYS_AHEAD),
                ),
                and_(sepa, Installment.due_on <= today + timedelta(days=sepa_notice_days())),
            ),
            subscriptions.c.status == ACTIVE_SUBSCRIPTION,
        )
        .order_by(Installment.due_on, Installment.id)
    )


def send_due_reminders(today: date, now: datetime, errors: list[str] | None = None) -> int:
    """Email each household once per installment falling due soon; returns how many were sent.

    One installment that cannot be reminded (a mail outage, a bad row) never stops the
    others: its claim is handed back for the next run, and the error is added to `errors`."""
    due = installments_to_remind(today)
    sent = 0
    for context in due:
        installment_id = context.installment.id
        try:
            # A savepoint: if the email fails, the claim is handed back with it.
            with db.session.begin_nested():
                if not _claim(context.installment, now):
                    continue  # another run reminded it meanwhile
                # The contract's method: a card contract is never announced on a SEPA mandate.
                saved = (
                    method_for_contract(context.user.id, context.payment_method)
                    if context.pays_through_stripe
                    else None
                )
                _send_reminder(context, saved, debit_on(context.installment, today))
        except (smtplib.SMTPException, OSError):
            logger.exception("Reminder for installment %s failed", installment_id)
        except Exception as error:  # noqa: BLE001 - recorded, reported, the others still sent
            logger.exception("Reminder for installment %s failed", installment_id)
            if errors is not None:
                errors.append(f"échéance {installment_id} : {type(error).__name__}")
        else:
            sent += 1
    db.session.flush()
    return sent


def _claim(installment: Installment, now: datetime) -> bool:
    result = db.session.execute(
        update(Installment)
        .where(Installment.id == installment.id, Installment.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _send_reminder(context: InstallmentContext, saved_method, debit_day: date) -> None:
    installment, user, group = context.installment, context.user, context.group
    # A card payer without a saved card pays online; everyone sees their statement.
    pay_link = (
        pay_installment_url(installment.id)
        if context.pays_through_stripe and saved_method is None
        else None
    )
    with force_locale(user.language):
        send_email(
            user.email,
            _(
                "Échéance du %(date)s : %(amount)s (%(offer)s)",
                date=format_date(installment.due_on, "long"),
                amount=format_money(installment.amount_cents),
                offer=context.offer_name,
            ),
            "email/card_installment_reminder",
            user=user,
            group=group,
            installment=installment,
            offer_name=context.offer_name,
            method=context.payment_method,
            saved_method=saved_method,
            debit_on=debit_day,
            pay_link=pay_link,
            statement_link=absolute_url("payments.my_statement", slug=group.slug),
        )
