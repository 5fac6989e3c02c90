"""Demo refused card payments in the Croix-Rousse AMAP, so its coordinator's follow-up page
(card_followup.index) shows a refusal waiting for its retry and one with no retry left.

Two households of the demo pay by card (the basket demo subscribes people paying by cheque or
transfer); their refusals are written as the charging job would have left them, without
calling Stripe. Idempotent: nothing is added once the group has a refused card payment.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.baskets.models import Subscription, SubscriptionStatus
from marketplace.cards.models import CardPayment, CardPaymentState
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.payments.models import Installment, InstallmentState, PaymentMethod

GROUP_SLUG = "amap-croix-rousse"
# (decline code, days before today the first charge failed, days until the retry or None)
REFUSALS = (("insufficient_funds", 1, 1), ("expired_card", 10, None))


def seed_demo_card_followup(today: date) -> int:
    group = db.session.scalar(select(Group).where(Group.slug == GROUP_SLUG))
    if group is None or db.session.scalar(
        select(CardPayment.id).where(
            CardPayment.group_id == group.id, CardPayment.state == CardPaymentState.FAILED.value
        )
    ):
        return 0
    installments = db.session.scalars(
        select(Installment)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .where(
            Subscription.group_id == group.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            Installment.sequence == 1,
            # Households other than the coordinators who read the page.
            Subscription.user_id.not_in(
                select(Membership.user_id).where(
                    Membership.organisation_id == group.id,
                    Membership.role == Role.COORDINATOR.value,
                )
            ),
            Installment.state == InstallmentState.PLANNED.value,
        )
        .order_by(Installment.due_on, Installment.id)
        .limit(len(REFUSALS))
    ).all()
    created = 0
    for installment, (code, failed_days_ago, retry_in) in zip(installments, REFUSALS, strict=False):
        subscription = db.session.get(Subscription, installment.subscription_id)
        subscription.payment_method = PaymentMethod.CARD.value
        installment.due_on = min(installment.due_on, today - timedelta(days=failed_days_ago))
        installment.state = InstallmentState.FAILED.value
        installment.charge_retry_on = today + timedelta(days=retry_in) if retry_in else None
        db.session.add(
            CardPayment(
                user_id=subscription.user_id,
                group_id=group.id,
                installment_id=installment.id,
                amount_cents=installment.amount_cents,
                method=PaymentMethod.CARD.value,
                off_session=True,
                idempotency_key=f"demo-inst-{installment.id}-1",
                state=CardPaymentState.FAILED.value,
                failure_code=code,
            )
        )
        created += 1
    db.session.flush()
    return created
