"""One settlement in progress per installment: never cash on top of a card, never a card on
a re-priced or already-settled installment, and a late duplicate payment given back."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from marketplace.baskets import tiers
from marketplace.cards import gateway, settlement
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.payments.offline import PaymentLine, record_payments
from tests import factories
from tests.baskets.test_subscribing import NOW, build_scenario
from tests.baskets.test_tiers import fill_fund, installments_of, reduced_subscription
from tests.cards.dunning_helpers import card_installment, household_of, subject_of
from tests.cards.stripe_helpers import payment_method, post_event


def _cash(installment) -> PaymentLine:
    return PaymentLine(position=0, installment_id=installment.id, method="cash", amount_cents=4500)


def test_cash_is_refused_while_the_card_payment_waits_for_3d_secure():
    installment = card_installment()
    household = household_of(installment)
    payment = factories.CardPaymentFactory(installment=installment, state="requires_action")
    db.session.commit()
    group_id = payment.group_id
    coordinator = factories.UserFactory()
    db.session.commit()

    with pytest.raises(DomainError, match="paiement en ligne .* est en cours"):
        record_payments(
            group_id=group_id,
            user_id=household.id,
            lines=[_cash(installment)],
            recorded_by_id=coordinator.id,
        )


def test_a_card_payment_is_refused_once_cash_is_recorded():
    installment = card_installment()
    household = household_of(installment)
    coordinator = factories.UserFactory()
    db.session.commit()
    record_payments(
        group_id=_group_id(installment),
        user_id=household.id,
        lines=[_cash(installment)],
        recorded_by_id=coordinator.id,
    )
    db.session.commit()

    with pytest.raises(DomainError, match="Un règlement est déjà enregistré"):
        settlement.new_payment(
            user=household,
            group_id=_group_id(installment),
            amount_cents=4500,
            installment=installment,
        )


def _group_id(installment) -> int:
    from marketplace.baskets.models import Subscription

    return db.session.get(Subscription, installment.subscription_id).group_id


def test_the_page_charges_the_installment_as_it_is_now_not_as_it_was_shown():
    installment = card_installment(amount_cents=15000)
    household = household_of(installment)
    db.session.commit()
    # Re-priced by another request after the page was shown (the object here is stale).
    db.session.execute(
        update(Installment)
        .where(Installment.id == installment.id)
        .values(amount_cents=7500)
        .execution_options(synchronize_session=False)
    )

    payment = settlement.new_payment(
        user=household,
        group_id=_group_id(installment),
        amount_cents=15000,
        installment=installment,
    )

    assert payment.amount_cents == 7500 == installment.amount_cents


def test_a_tier_is_not_approved_while_a_payment_is_in_progress():
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 10000)
    first = installments_of(subscription)[0]
    factories.CardPaymentFactory(installment=first, state="requires_action")
    db.session.commit()
    before = [(i.amount_cents, i.state) for i in installments_of(subscription)]

    with pytest.raises(DomainError, match="paiement en ligne est en cours"):
        tiers.approve(scenario.offer.group, subscription.id, NOW)
    db.session.rollback()

    assert [(i.amount_cents, i.state) for i in installments_of(subscription)] == before


@pytest.mark.usefixtures("stripe_server")
def test_a_payment_completed_after_the_installment_was_paid_is_refunded(client, app, outbox):
    installment = card_installment()
    household = household_of(installment)
    payment = settlement.new_payment(
        user=household,
        group_id=_group_id(installment),
        amount_cents=4500,
        installment=installment,
    )
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    # The attempt was given up, and the installment paid in cash meanwhile.
    settlement.record_canceled(payment)
    installment.state = "paid"
    installment.paid_at = utcnow()
    db.session.commit()

    response = post_event(
        client, app, "payment_intent.succeeded", gateway.as_dict(intent), "evt_late"
    )

    assert response.status_code == 200
    db.session.refresh(payment)
    assert payment.state == "succeeded" and payment.refunded_cents == 4500
    amounts = db.session.scalars(
        select(LedgerEntry.amount_cents).where(LedgerEntry.installment_id == installment.id)
    ).all()
    assert sorted(amounts) == [-4500, 4500]
    refunds = gateway.client().v1.refunds.list(params={"payment_intent": intent.id}).data
    assert [refund.amount for refund in refunds] == [4500]
    assert [subject_of(message) for message in outbox] == [
        "Paiement reçu en double : " + installment_offer_name(installment)
    ]


def installment_offer_name(installment) -> str:
    from marketplace.cards.installments import context_of

    return context_of(installment.id).offer_name


def test_lowering_a_schedule_never_touches_an_installment_being_paid_online():
    from marketplace.baskets.installments import lower_unpaid_installments

    first = card_installment(amount_cents=5000)
    subscription_id = first.subscription_id
    second = factories.InstallmentFactory(
        subscription_id=subscription_id, sequence=2, amount_cents=5000, due_on=first.due_on
    )
    factories.CardPaymentFactory(installment=second, state="requires_action")
    db.session.commit()

    left = lower_unpaid_installments(subscription_id, 2000)

    assert left == 0
    assert (first.amount_cents, second.amount_cents) == (3000, 5000)
