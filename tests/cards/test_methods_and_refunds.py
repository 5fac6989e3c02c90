"""Saved cards and mandates; coordinators' refunds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.cards import gateway, saved_methods, settlement
from marketplace.cards.models import SavedPaymentMethod
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Role
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.cards.stripe_helpers import payment_method, post_event, sepa_method
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("stripe_server")


def test_saving_a_card_then_a_mandate_keeps_one_default(client, login):
    user = login(factories.UserFactory())
    db.session.commit()
    for method_id, kind in ((payment_method(), "card"), (sepa_method(), "sepa_debit")):
        setup = gateway.create_setup_intent(user, kind, saved_methods.PURPOSE_SAVE)
        gateway.client().v1.setup_intents.confirm(setup.id, params={"payment_method": method_id})
        db.session.commit()
        response = client.post(
            f"/paiements/carte/moyens/ajouter/{kind}", data={"new-setup_intent_id": setup.id}
        )
        assert response.status_code == 302
    page = client.get("/paiements/carte/moyens").get_data(as_text=True)
    assert "Carte VISA se terminant par 4242" in page and "Mandat SEPA" in page
    methods = db.session.scalars(select(SavedPaymentMethod).order_by(SavedPaymentMethod.id)).all()
    assert [(m.method, m.is_default) for m in methods] == [("card", False), ("sepa_debit", True)]
    client.post(f"/paiements/carte/moyens/{methods[0].id}/par-defaut")
    db.session.expire_all()
    assert [m.is_default for m in methods] == [True, False]
    client.post(f"/paiements/carte/moyens/{methods[0].id}/supprimer")
    db.session.expire_all()
    assert methods[0].removed_at is not None and methods[1].is_default


def test_setup_intent_webhook_saves_a_method_once(client, app):
    user = factories.UserFactory()
    db.session.commit()
    setup = gateway.create_setup_intent(user, "card", saved_methods.PURPOSE_SAVE)
    confirmed = gateway.client().v1.setup_intents.confirm(
        setup.id, params={"payment_method": payment_method()}
    )
    db.session.commit()
    for event_id in ("evt_s1", "evt_s2"):
        post_event(client, app, "setup_intent.succeeded", confirmed.to_dict(), event_id)
    assert len(db.session.scalars(select(SavedPaymentMethod)).all()) == 1


def test_someone_else_cannot_remove_a_saved_method(client, login):
    saved = factories.SavedPaymentMethodFactory()
    login(factories.UserFactory())
    db.session.commit()
    assert client.post(f"/paiements/carte/moyens/{saved.id}/supprimer").status_code == 404
    db.session.refresh(saved)
    assert saved.removed_at is None


def _succeeded_payment(amount_cents: int = 4500):
    subscription = factories.SubscriptionFactory(payment_method="card")
    installment = factories.InstallmentFactory(subscription=subscription, amount_cents=amount_cents)
    payment = settlement.new_payment(
        user=subscription.user,
        group_id=subscription.group_id,
        amount_cents=amount_cents,
        installment=installment,
    )
    intent = gateway.create_intent(payment, payment_method_id=payment_method(), confirm=True)
    settlement.record_intent(payment, intent)
    db.session.commit()
    return payment, db.session.get(Organisation, subscription.group_id)


def test_coordinator_refunds_part_then_the_rest(client, user_with_role):
    payment, group = _succeeded_payment()
    user_with_role(Role.COORDINATOR, group)
    url = f"/paiements/carte/groupes/{group.id}/{payment.id}/rembourser"
    assert client.post(url, data={"amount": "15,00"}).status_code == 302
    too_much = client.post(url, data={"amount": "40"})
    assert too_much.status_code == 400
    assert "ce qui reste du paiement" in too_much.get_data(as_text=True)
    assert client.post(url, data={"amount": "30"}).status_code == 302
    db.session.refresh(payment)
    assert payment.refunded_cents == 4500
    refunds = db.session.scalars(
        select(LedgerEntry.amount_cents).where(LedgerEntry.kind == "refund")
    )
    assert sorted(refunds) == [-3000, -1500]
    page = client.get(f"/paiements/carte/groupes/{group.id}").get_data(as_text=True)
    assert "Remboursé" in page


def test_bad_refund_amount_changes_nothing(client, user_with_role):
    payment, group = _succeeded_payment()
    user_with_role(Role.COORDINATOR, group)
    response = client.post(
        f"/paiements/carte/groupes/{group.id}/{payment.id}/rembourser", data={"amount": "abc"}
    )
    assert response.status_code == 400 and "12,50" in response.get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.refunded_cents == 0


def test_members_cannot_refund(client, user_with_role):
    payment, group = _succeeded_payment()
    user_with_role(Role.MEMBER, group)
    assert client.get(f"/paiements/carte/groupes/{group.id}").status_code == 403
    url = f"/paiements/carte/groupes/{group.id}/{payment.id}/rembourser"
    assert client.post(url, data={"amount": "10"}).status_code == 403


def test_group_payments_page_queries_do_not_grow(client, user_with_role):
    offer = factories.SubscriptionFactory().offer
    group = db.session.get(Organisation, offer.group_id)
    user_with_role(Role.COORDINATOR, group)

    def add_payments(count):
        for _ in range(count):
            subscription = factories.SubscriptionFactory(offer=offer)
            factories.CardPaymentFactory(
                installment=factories.InstallmentFactory(subscription=subscription)
            )
        db.session.commit()

    add_payments(1)
    with count_queries() as few:
        client.get(f"/paiements/carte/groupes/{group.id}")
    add_payments(4)
    with count_queries() as many:
        page = client.get(f"/paiements/carte/groupes/{group.id}").get_data(as_text=True)
    assert page.count("Rembourser</button>") == 5
    assert many.count == few.count


def test_a_saved_mandate_keeps_its_reference_and_the_household_receives_its_terms(
    client, login, outbox
):
    from tests.cards.dunning_helpers import subject_of
    from tests.helpers import message_text

    user = login(factories.UserFactory())
    db.session.commit()
    setup = gateway.create_setup_intent(user, "sepa_debit", saved_methods.PURPOSE_SAVE)
    gateway.client().v1.setup_intents.confirm(setup.id, params={"payment_method": sepa_method()})
    db.session.commit()

    client.post(
        "/paiements/carte/moyens/ajouter/sepa_debit", data={"new-setup_intent_id": setup.id}
    )

    mandate = db.session.scalars(select(SavedPaymentMethod)).one()
    assert mandate.mandate_reference == "NXDSYREGC9PSMKWY"  # localstripe's
    (message,) = outbox
    assert subject_of(message) == "Votre mandat de prélèvement SEPA"
    text = message_text(message)
    assert "RUM" in text and "NXDSYREGC9PSMKWY" in text and "8 semaines" in text


def test_with_real_stripe_the_reference_comes_from_the_signed_mandate(monkeypatch, outbox):
    user = factories.UserFactory()
    db.session.commit()
    method_id = sepa_method()
    real_retrieve = gateway.retrieve_payment_method

    def without_reference(payment_method_id):
        details = gateway.as_dict(real_retrieve(payment_method_id))
        details["sepa_debit"].pop("mandate_reference", None)  # as real Stripe answers
        return details

    monkeypatch.setattr(gateway, "retrieve_payment_method", without_reference)
    monkeypatch.setattr(gateway, "mandate_reference", lambda customer, method: "RUM-2026-0042")

    saved = saved_methods.save(user, method_id)

    assert saved.mandate_reference == "RUM-2026-0042"
