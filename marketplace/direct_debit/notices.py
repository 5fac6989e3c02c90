"""Pre-notification: each household is told, at least the group's notice period ahead, the
amount and date of each debit (the SEPA rulebook's pre-notification).

The job is idempotent: a notice row (unique per installment) is written under a savepoint
with its email; a failed email undoes it for the next run; one bad row never stops the run.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.baskets.models import Subscription, SubscriptionStatus
from marketplace.cards.installments import InstallmentContext, context_query
from marketplace.direct_debit.models import (
    DebitChoice,
    DebitMandate,
    DebitNotice,
    DebitSettings,
)
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.payments.models import Installment, InstallmentState, PaymentMethod
from marketplace.payments.money import format_money

logger = logging.getLogger(__name__)


def due_for_notice(today: date):
    """(context, mandate, notice days) of installments to notify now, oldest first."""
    query = (
        context_query()
        .add_columns(DebitMandate, DebitSettings.notice_days)
        .join(DebitChoice, DebitChoice.subscription_id == Installment.subscription_id)
        .join(DebitMandate, DebitMandate.id == DebitChoice.mandate_id)
        .join(DebitSettings, DebitSettings.group_id == DebitMandate.group_id)
        .outerjoin(DebitNotice, DebitNotice.installment_id == Installment.id)
        .where(
            DebitNotice.id.is_(None),
            DebitMandate.revoked_at.is_(None),
            Installment.state == InstallmentState.PLANNED.value,
            Subscription.__table__.c.payment_method == PaymentMethod.DIRECT_DEBIT.value,
            Subscription.__table__.c.status == SubscriptionStatus.ACTIVE.value,
        )
        .order_by(Installment.due_on, Installment.id)
    )
    rows = db.session.execute(query).all()
    found = []
    for row in rows:
        notice_days = row[-1]
        if row[0].due_on <= today + timedelta(days=notice_days):
            found.append((InstallmentContext(*row[:5]), row[5], notice_days))
    return found


def send_notices(today: date, now: datetime, errors: list[str] | None = None) -> int:
    sent = 0
    for context, mandate, notice_days in due_for_notice(today):
        installment = context.installment
        debit_on = max(installment.due_on, today + timedelta(days=notice_days))
        try:
            with db.session.begin_nested():
                db.session.add(
                    DebitNotice(installment_id=installment.id, debit_on=debit_on, sent_at=now)
                )
                db.session.flush()
                _send(context, mandate, debit_on)
        except IntegrityError:
            continue  # another run notified it meanwhile
        except Exception as error:  # noqa: BLE001 - reported; the others are still sent
            logger.exception("Debit notice for installment %s failed", installment.id)
            if errors is not None:
                errors.append(f"échéance {installment.id} : {type(error).__name__}")
        else:
            sent += 1
    return sent


def _send(context, mandate: DebitMandate, debit_on: date) -> None:
    user, installment = context.user, context.installment
    with force_locale(user.language):
        send_email(
            user.email,
            _(
                "Prélèvement le %(date)s : %(amount)s (%(offer)s)",
                date=format_date(debit_on, "long"),
                amount=format_money(installment.amount_cents),
                offer=context.offer_name,
            ),
            "email/debit_prenotification",
            user=user,
            group=context.group,
            installment=installment,
            offer_name=context.offer_name,
            mandate=mandate,
            debit_on=debit_on,
            statement_link=absolute_url("payments.my_statement", slug=context.group.slug),
        )


def notice_of(installment_ids: list[int]) -> dict[int, DebitNotice]:
    if not installment_ids:
        return {}
    rows = db.session.scalars(
        select(DebitNotice).where(DebitNotice.installment_id.in_(installment_ids))
    )
    return {notice.installment_id: notice for notice in rows}
