"""Telling households that an installment falls due in three days.

An installment is claimed by a conditional UPDATE of `reminded_at` before its email is sent,
so two runs at once never remind twice; a failed send hands the claim back for the next run.
Installments due in fewer than three days are reminded too: the job may have been down.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import update

from marketplace.cards.installments import (
    ACTIVE_SUBSCRIPTION,
    InstallmentContext,
    context_query,
    contexts,
    default_methods,
    pay_installment_url,
)
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.payments.models import Installment, InstallmentState
from marketplace.payments.money import format_money
from marketplace.payments.statements import subscriptions_table

REMIND_DAYS_AHEAD = 3

logger = logging.getLogger(__name__)


def installments_to_remind(today: date) -> list[InstallmentContext]:
    """Planned installments of active subscriptions due within three days, not yet reminded."""
    subscriptions = subscriptions_table()
    return contexts(
        context_query()
        .where(
            Installment.state == InstallmentState.PLANNED.value,
            Installment.reminded_at.is_(None),
            Installment.due_on >= today,
            Installment.due_on <= today + timedelta(days=REMIND_DAYS_AHEAD),
            subscriptions.c.status == ACTIVE_SUBSCRIPTION,
        )
        .order_by(Installment.due_on, Installment.id)
    )


def send_due_reminders(today: date, now: datetime) -> int:
    """Email each household once per installment falling due soon; returns how many were sent."""
    due = installments_to_remind(today)
    saved = default_methods(context.user.id for context in due)
    sent = 0
    for context in due:
        if not _claim(context.installment, now):
            continue  # another run reminded it meanwhile
        try:
            _send_reminder(context, saved.get(context.user.id))
        except (smtplib.SMTPException, OSError):
            logger.exception("Reminder for installment %s failed", context.installment.id)
            _release(context.installment)
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


def _release(installment: Installment) -> None:
    db.session.execute(
        update(Installment)
        .where(Installment.id == installment.id)
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )


def _send_reminder(context: InstallmentContext, saved_method) -> None:
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
            pay_link=pay_link,
            statement_link=absolute_url("payments.my_statement", slug=group.slug),
        )
