"""Paying an installment or an order in the browser's place (Stripe.js's calls made here)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.cards import gateway, saved_methods
from marketplace.cards.models import CardPayment, SavedPaymentMethod
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.cards.stripe_helpers import (
    CARD_DECLINED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_OK,
    payment_method,
)

pytestmark = pytest.mark.usefixtures("stripe_server")


@pytest.fixture
def member_installment(login):
    subscription = factories.SubscriptionFactory(payment_method="card")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=4500)
    db.session.commit()
    login(subscription.user)
    return subscription, installment


def _confirmed_setup(user, number: str = CARD_OK) -> str:
    """What Stripe.js does with the card typed in the page: a confirmed SetupIntent."""
    setup = gateway.create_setup_intent(user, "card", saved_methods.PURPOSE_PAY)
    confirmed = gateway.client().v1.setup_intents.confirm(
        setup.id, params={"payment_method": payment_method(number)}
    )
    if confirmed.status == "requires_action":  # 3-D Secure, completed in Stripe.js's modal
        gateway.client().v1.setup_intents.confirm(setup.id)
    db.session.commit()
    return setup.id


def _payments() -> list[CardPayment]:
    return db.session.scalars(select(CardPayment).order_by(CardPayment.id)).all()


def test_pay_page_shows_amount_and_loads_stripe_js_from_its_origin(client, member_installment):
    _, installment = member_installment
    response = client.get(f"/paiements/carte/echeances/{installment.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "45,00" in html and re.search(r'data-client-secret="seti_\w+_secret_\w+"', html)
    csp = response.headers["Content-Security-Policy"]
    origin = client.application.config["STRIPE_API_BASE"]
    assert f"script-src 'self' {origin}" in csp and "unsafe-inline" not in csp
    assert "/js.stripe.com/v3/" in html


def test_paying_with_a_new_card_marks_the_installment_paid(client, member_installment):
    subscription, installment = member_installment
    setup_id = _confirmed_setup(subscription.user)
    response = client.post(
        f"/paiements/carte/echeances/{installment.id}",
        data={"new-setup_intent_id": setup_id, "new-remember": "y"},
    )
    (payment,) = _payments()
    assert response.headers["Location"].endswith(f"/paiements/carte/{payment.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Paiement reçu" in page
    db.session.refresh(installment)
    assert installment.state == "paid" and payment.amount_cents == 4500
    saved = db.session.scalars(select(SavedPaymentMethod)).one()
    assert (saved.last4, saved.is_default) == ("4242", True)


def test_a_declined_card_shows_the_bank_reason_and_books_nothing(client, member_installment):
    subscription, installment = member_installment
    setup_id = _confirmed_setup(subscription.user, CARD_DECLINED)
    response = client.post(
        f"/paiements/carte/echeances/{installment.id}",
        data={"new-setup_intent_id": setup_id},
        follow_redirects=True,
    )
    assert "Paiement refusé par la banque" in response.get_data(as_text=True)
    assert [p.state for p in _payments()] == ["failed"]
    db.session.refresh(installment)
    assert installment.state == "planned"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_card_needing_authentication_goes_through_3d_secure(client, member_installment):
    subscription, installment = member_installment
    setup_id = _confirmed_setup(subscription.user, CARD_NEEDS_AUTHENTICATION)
    response = client.post(
        f"/paiements/carte/echeances/{installment.id}", data={"new-setup_intent_id": setup_id}
    )
    (payment,) = _payments()
    assert response.headers["Location"].endswith(f"/{payment.id}/authentification")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    secret = re.search(r'data-client-secret="(pi_\w+_secret_\w+)"', page).group(1)
    assert "pas encore confirmé" in client.get(f"/paiements/carte/{payment.id}").get_data(
        as_text=True
    )
    # Stripe.js's 3-D Secure step, as localstripe's mock performs it.
    gateway.client().raw_request(
        "post",
        f"/v1/payment_intents/{payment.stripe_payment_intent_id}/_authenticate",
        client_secret=secret,
        success="true",
    )
    assert "Paiement reçu" in client.get(f"/paiements/carte/{payment.id}").get_data(as_text=True)
    db.session.refresh(installment)
    assert installment.state == "paid"


def test_paying_with_a_saved_card(client, member_installment):
    subscription, installment = member_installment
    saved = saved_methods.save(subscription.user, payment_method())
    db.session.commit()
    response = client.post(
        f"/paiements/carte/echeances/{installment.id}",
        data={"saved-saved_method_id": str(saved.id)},
    )
    (payment,) = _payments()
    assert payment.state == "succeeded"
    assert response.headers["Location"].endswith(f"/paiements/carte/{payment.id}")


def test_a_forged_setup_intent_is_refused(client, member_installment, login):
    subscription, installment = member_installment
    other = factories.UserFactory()
    db.session.commit()
    setup_id = _confirmed_setup(other)  # someone else's card
    response = client.post(
        f"/paiements/carte/echeances/{installment.id}",
        data={"new-setup_intent_id": setup_id},
        follow_redirects=True,
    )
    assert "recommencez" in response.get_data(as_text=True)
    assert _payments() == []


def test_someone_else_cannot_pay_or_see_an_installment(client, member_installment, login):
    subscription, installment = member_installment
    group = db.session.get(type(subscription.offer.group), subscription.group_id)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role=Role.COORDINATOR.value)
    db.session.commit()
    login(coordinator)
    assert client.get(f"/paiements/carte/echeances/{installment.id}").status_code == 404
    login(subscription.user)
    client.get(f"/paiements/carte/echeances/{installment.id}")  # creates nothing
    assert _payments() == []


def test_cheque_subscriptions_get_a_page_saying_how_to_pay(client, login):
    subscription = factories.SubscriptionFactory(payment_method="cheque")
    installment = factories.InstallmentFactory(subscription=subscription)
    db.session.commit()
    login(subscription.user)
    response = client.get(f"/paiements/carte/echeances/{installment.id}")
    assert response.status_code == 200
    assert "par chèque ou en espèces" in response.get_data(as_text=True)
    assert _payments() == []


def test_a_transfer_installment_says_how_to_pay_and_the_statement_links_it(client, login):
    subscription = factories.SubscriptionFactory(payment_method="transfer")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=4550)
    group = subscription.offer.group
    factories.LedgerEntryFactory(
        user=subscription.user, group_id=group.id, amount_cents=-4550, label="Contrat"
    )
    factories.MembershipFactory(user=subscription.user, organisation=group)
    coordinator = factories.UserFactory(name="Claire Coordination")
    factories.MembershipFactory(user=coordinator, organisation=group, role=Role.COORDINATOR.value)
    db.session.commit()
    login(subscription.user)

    statement = client.get(f"/groupes/{group.slug}/mon-releve").get_data(as_text=True)
    link = f"/paiements/carte/echeances/{installment.id}"
    assert "Reste à payer" in statement
    assert link in statement

    response = client.get(link)
    assert response.status_code == 200
    page = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "par virement bancaire" in page
    assert f"-{subscription.id}-{installment.sequence}</strong>" in page
    assert "Claire Coordination" in page
    assert "45,50" in page
    assert _payments() == []


def test_paying_an_order(client, login):
    order = factories.OrderFactory(total_cents=1270)
    db.session.commit()
    login(order.user)
    setup_id = _confirmed_setup(order.user)
    response = client.post(
        f"/paiements/carte/commandes/{order.id}", data={"new-setup_intent_id": setup_id}
    )
    (payment,) = _payments()
    assert payment.state == "succeeded" and payment.amount_cents == 1270
    assert response.status_code == 302
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.order_id, entry.amount_cents, entry.kind) == (order.id, 1270, "payment")
    again = client.get(f"/paiements/carte/commandes/{order.id}", follow_redirects=True)
    assert "déjà payée" in again.get_data(as_text=True)


def test_an_order_is_paid_only_by_its_household(client, login):
    order = factories.OrderFactory(total_cents=1270)
    stranger = factories.UserFactory()
    db.session.commit()
    login(stranger)
    assert client.get(f"/paiements/carte/commandes/{order.id}").status_code == 404


def test_a_grocerys_purchase_has_no_card_page(client, login):
    """The producer invoices the grocery: even the staff member who placed it cannot pay it
    by card here."""
    grocery = factories.GroceryFactory()
    order = factories.OrderFactory(total_cents=1270, grocery_id=grocery.id)
    db.session.commit()
    login(order.user)
    assert client.get(f"/paiements/carte/commandes/{order.id}").status_code == 404
    assert _payments() == []


def test_result_page_of_someone_else_is_hidden(client, login):
    payment = factories.CardPaymentFactory()
    stranger = factories.UserFactory()
    db.session.commit()
    login(stranger)
    assert client.get(f"/paiements/carte/{payment.id}").status_code == 404
