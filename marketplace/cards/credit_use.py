"""A household's credit pays its next installments before its card is charged.

Before an off-session charge, every credit the household still holds in the group (an
overpaid contract it left, see marketplace.payments.credits) is carried to the contract being
charged: it pays that contract's next unpaid installments, to the cent, booked on the
statement ("Avoir du contrat … — échéance du …"); only what remains is charged. The carry's
key is fixed per credit and installment, so a run repeated after a crash carries nothing
twice. CREDITS_PAY_NEXT_INSTALLMENTS (on by default) turns it off for a territory whose
groups prefer to refund every credit.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from marketplace.cards.installments import InstallmentContext
from marketplace.extensions import db
from marketplace.payments.credit_models import HouseholdCredit
from marketplace.payments.credits import carry_credit
from marketplace.payments.models import Installment
from marketplace.payments.statements import UNPAID_STATES


def apply_credits(context: InstallmentContext, now: datetime) -> int:
    """Carry the household's credits to the contract of `context`; the cents carried."""
    if not current_app.config.get("CREDITS_PAY_NEXT_INSTALLMENTS", True):
        return 0
    installment = context.installment
    credits = db.session.scalars(
        select(HouseholdCredit)
        .where(
            HouseholdCredit.user_id == context.user.id,
            HouseholdCredit.group_id == context.group.id,
            HouseholdCredit.settled_cents < HouseholdCredit.amount_cents,
            HouseholdCredit.subscription_id != installment.subscription_id,
        )
        .order_by(HouseholdCredit.created_at, HouseholdCredit.id)
    ).all()
    carried = 0
    for credit in credits:
        unpaid = db.session.scalar(
            select(func.coalesce(func.sum(Installment.amount_cents), 0)).where(
                Installment.subscription_id == installment.subscription_id,
                Installment.state.in_(UNPAID_STATES),
            )
        )
        amount = min(credit.remaining_cents, int(unpaid))
        if amount <= 0:
            break
        carry_credit(
            credit,
            installment.subscription_id,
            amount,
            by_user_id=None,
            now=now,
            request_key=f"auto-carry-{credit.id}-{installment.id}",
        )
        carried += amount
    return carried
