"""A household's credit refunded on its card through Stripe (localstripe), once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.cards import gateway, settlement
from marketplace.cards.credit_refunds import refund_credit
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.credit_models import CreditSettlement
from marketplace.payments.credits import household_credit_cents, subscription_balance_cents
from marketplace.payments.models import LedgerEntry
from tests.cards.stripe_helpers import payment_method, post_event
from tests.payments.credit_scene import make_credit_scene

pytestmark = pytest.mark.usefixtures("stripe_server")


def pay_by_card(subscription, installment) -> None:
    payment = settlement.new_payment(
        user=subscription.user,
        group_id=subscription.group_id,
        amount_cents=installment.amount_cents,
        installment=installment,
    )
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    settlement.record_intent(payment, intent)


def refunds() -> list[int]:
    return sorted(
        db.session.scalars(select(LedgerEntry.amount_cents).where(LedgerEntry.kind == "refund"))
    )


def test_the_coordinator_refunds_the_credit_on_the_card_once(client, login, app):
    scene = make_credit_scene(pay=pay_by_card)
    assert scene.credit.amount_cents == 4000
    login(scene.coordinator)
    page = client.get(f"/groupes/{scene.group.slug}/gestion/avoirs").get_data(as_text=True)
    assert 'value="card"' in page

    form = {"amount": "40,00", "method": "card", "request_key": "card-1"}
    url = f"/groupes/{scene.group.slug}/gestion/avoirs/{scene.credit.id}/rembourser"
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 302  # a double click: same result

    payment = db.session.scalar(select(CardPayment))
    assert payment.refunded_cents == 4000
    assert refunds() == [-4000]
    made = db.session.scalar(select(CreditSettlement))
    assert made.method == "card" and made.reference.startswith("re_")
    assert db.session.scalar(select(func.count(CreditSettlement.id))) == 1
    assert household_credit_cents(scene.member.id, scene.group.id) == 0
    assert subscription_balance_cents(scene.left.id) == 0

    # Stripe's webhook about the same refund books nothing more.
    charge = {"object": "charge", "payment_intent": payment.stripe_payment_intent_id}
    post_event(client, app, "charge.refunded", charge, "evt_credit_refund")
    assert refunds() == [-4000]

    login(scene.member)
    statement = client.get(f"/groupes/{scene.group.slug}/mon-releve").get_data(as_text=True)
    assert "remboursés sur votre carte bancaire" in statement


def test_the_simulation_refunds_part_by_card_then_the_rest_by_cheque(app):
    scene = make_credit_scene(pay=pay_by_card)
    refund_credit(scene.credit, 1500, "card", by_user_id=None, now=utcnow(), request_key="s1")
    refund_credit(scene.credit, 2500, "cheque", by_user_id=None, now=utcnow(), reference="77")
    db.session.commit()
    assert refunds() == [-2500, -1500]
    assert db.session.scalar(select(CardPayment)).refunded_cents == 1500
    assert household_credit_cents(scene.member.id, scene.group.id) == 0
