"""A household pays its yearly membership fee by card (localstripe in Stripe.js's place)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.cards import gateway, saved_methods
from marketplace.cards.models import CardPayment
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.membership import services
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.stripe_helpers import (
    CARD_DECLINED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_OK,
    payment_method,
    post_event,
)
from tests.membership.helpers import group_with_membership, member_of
from tests.simulation import invariants

pytestmark = pytest.mark.usefixtures("stripe_server")


@pytest.fixture
def unpaid(login):
    group = group_with_membership(amount_cents=1500)
    household = member_of(group)
    membership = services.join(group, household, today=paris_today())
    db.session.commit()
    login(household)
    return group, household, membership


def _money_invariants_hold() -> None:
    """The season simulation's money invariants agree with fees paid by card."""
    ctx = invariants.CheckContext(
        now=utcnow(),
        today=paris_today(),
        simulated_days=[],
        daily_jobs=[],
        unticked_day_ids=set(),
        producer_ids=[],
    )
    for check in (
        invariants.ledger_payments_match_money_received,
        invariants.one_membership_per_period_fee_booked_once,
    ):
        assert check(ctx) == [], check.__name__


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


def _url(membership) -> str:
    return f"/paiements/carte/adhesions/{membership.id}"


def _payments() -> list[CardPayment]:
    return db.session.scalars(select(CardPayment).order_by(CardPayment.id)).all()


def _fee_payments() -> list[tuple[str, int]]:
    return [
        (entry.external_reference, entry.amount_cents)
        for entry in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "payment").order_by(LedgerEntry.id)
        )
    ]


def test_the_join_page_and_the_statement_link_to_the_card_page(client, unpaid):
    group, _, membership = unpaid
    for page in (f"/groupes/{group.slug}/adhesion", f"/groupes/{group.slug}/mon-releve"):
        assert _url(membership) in client.get(page).get_data(as_text=True)
    html = client.get(_url(membership)).get_data(as_text=True)
    assert "15,00" in html and re.search(r'data-client-secret="seti_\w+_secret_\w+"', html)


def test_paying_by_card_marks_the_membership_paid_and_books_one_payment(client, unpaid):
    group, household, membership = unpaid
    setup_id = _confirmed_setup(household)
    response = client.post(_url(membership), data={"new-setup_intent_id": setup_id})
    (payment,) = _payments()
    assert response.headers["Location"].endswith(f"/paiements/carte/{payment.id}")
    assert "Paiement reçu" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.method == "card" and membership.is_paid
    assert payment.membership_id == membership.id and payment.amount_cents == 1500
    assert _fee_payments() == [(f"adhesion-{membership.id}-paid", 1500)]
    assert balance_cents(household.id, group.id) == 0
    _money_invariants_hold()
    # Paid: the page sends back, the coordinator's cash is refused.
    assert client.get(_url(membership)).status_code == 302
    with pytest.raises(DomainError):
        services.record_payment(
            membership,
            method="cash",
            recorded_by=factories.UserFactory(),
            today=paris_today(),
            now=utcnow(),
        )


def test_a_card_needing_3d_secure_pays_once_authenticated(client, unpaid):
    _, household, membership = unpaid
    setup_id = _confirmed_setup(household, CARD_NEEDS_AUTHENTICATION)
    response = client.post(_url(membership), data={"new-setup_intent_id": setup_id})
    (payment,) = _payments()
    assert response.headers["Location"].endswith(f"/{payment.id}/authentification")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    secret = re.search(r'data-client-secret="(pi_\w+_secret_\w+)"', page).group(1)
    db.session.refresh(membership)
    assert not membership.is_paid and _fee_payments() == []
    gateway.client().raw_request(
        "post",
        f"/v1/payment_intents/{payment.stripe_payment_intent_id}/_authenticate",
        client_secret=secret,
        success="true",
    )
    assert "Paiement reçu" in client.get(f"/paiements/carte/{payment.id}").get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.method == "card"
    assert _fee_payments() == [(f"adhesion-{membership.id}-paid", 1500)]


def test_a_declined_card_says_why_in_french_and_books_nothing(client, unpaid):
    _, household, membership = unpaid
    setup_id = _confirmed_setup(household, CARD_DECLINED)
    response = client.post(
        _url(membership), data={"new-setup_intent_id": setup_id}, follow_redirects=True
    )
    assert "Paiement refusé par la banque" in response.get_data(as_text=True)
    assert [p.state for p in _payments()] == ["failed"]
    db.session.refresh(membership)
    assert not membership.is_paid and _fee_payments() == []


def _live_attempt(membership, household, state="requires_action") -> CardPayment:
    payment = CardPayment(
        user_id=household.id,
        group_id=membership.group_id,
        membership_id=membership.id,
        amount_cents=membership.amount_cents,
        idempotency_key=f"fee-{membership.id}-1",
        stripe_payment_intent_id=f"pi_fee{membership.id:06d}",
        state=state,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def _succeeded(payment) -> dict:
    return {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": payment.amount_cents,
        "status": "succeeded",
        "metadata": {"card_payment_id": str(payment.id)},
    }


def test_a_replayed_webhook_books_the_fee_once(client, app, unpaid):
    _, household, membership = unpaid
    payment = _live_attempt(membership, household)
    for event_id in ("evt_fee", "evt_fee", "evt_fee_again"):
        assert post_event(client, app, "payment_intent.succeeded", _succeeded(payment), event_id)
    db.session.refresh(membership)
    db.session.refresh(payment)
    assert payment.state == "succeeded" and membership.method == "card"
    assert _fee_payments() == [(f"adhesion-{membership.id}-paid", 1500)]


def test_cash_is_refused_while_a_card_payment_waits(client, unpaid):
    _, household, membership = unpaid
    _live_attempt(membership, household)
    with pytest.raises(DomainError, match="paiement par carte est en cours"):
        services.record_payment(
            membership,
            method="cash",
            recorded_by=factories.UserFactory(),
            today=paris_today(),
            now=utcnow(),
        )
    db.session.rollback()
    assert not db.session.get(type(membership), membership.id).is_paid
    # "Card" is what the household does online, never what a coordinator records.
    with pytest.raises(DomainError, match="chèque, espèces ou virement"):
        services.record_payment(
            membership,
            method="card",
            recorded_by=factories.UserFactory(),
            today=paris_today(),
            now=utcnow(),
        )
    db.session.rollback()
    # And a second card attempt is refused too: one at a time.
    setup_id = _confirmed_setup(household)
    response = client.post(
        _url(membership), data={"new-setup_intent_id": setup_id}, follow_redirects=True
    )
    assert "Un paiement est déjà en cours" in response.get_data(as_text=True)
    assert [p.state for p in _payments()] == ["requires_action"]


def test_card_money_arriving_after_cash_is_not_booked_as_the_fee(client, app, unpaid):
    group, household, membership = unpaid
    payment = _live_attempt(membership, household, state="canceled")  # given up, then paid
    services.record_payment(
        membership,
        method="cash",
        recorded_by=factories.UserFactory(),
        today=paris_today(),
        now=utcnow(),
    )
    db.session.commit()
    payment.state = "requires_action"  # a late 3-D Secure: Stripe took the money after all
    db.session.commit()
    post_event(client, app, "payment_intent.succeeded", _succeeded(payment), "evt_late")
    db.session.refresh(membership)
    assert membership.method == "cash"
    references = [reference for reference, _ in _fee_payments()]
    assert references[0] == f"adhesion-{membership.id}-paid"
    # The card's euros are booked under the intent, never a second time under the fee's
    # reference: refunded, or a balance in the household's favour.
    assert references[1] == payment.stripe_payment_intent_id
    assert balance_cents(household.id, group.id) in (0, 1500)
    _money_invariants_hold()


def test_someone_elses_membership_is_not_found(client, login, unpaid):
    _, _, membership = unpaid
    login(factories.UserFactory())
    assert client.get(_url(membership)).status_code == 404
    assert client.get("/paiements/carte/adhesions/999999").status_code == 404


def test_an_already_paid_membership_is_refused(client, unpaid):
    _, household, membership = unpaid
    services.record_payment(
        membership,
        method="transfer",
        recorded_by=factories.UserFactory(),
        today=paris_today(),
        now=utcnow(),
    )
    db.session.commit()
    response = client.get(_url(membership), follow_redirects=True)
    assert "déjà réglée" in response.get_data(as_text=True)
    setup_id = _confirmed_setup(household)
    client.post(_url(membership), data={"new-setup_intent_id": setup_id})
    assert _payments() == []
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 2
