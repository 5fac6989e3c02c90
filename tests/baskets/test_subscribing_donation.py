"""A per-delivery gift to the solidarity fund (panier suspendu) chosen at sign-up."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.baskets.subscribing import subscribe, subscription_preview
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import FundMovement, Installment, LedgerEntry
from tests.baskets.test_subscribing import build_scenario, choices, counts
from tests.baskets.test_subscribing_pages import form_data, url
from tests.payments.support import readable


def test_the_preview_adds_the_gift_to_the_installments_apart_from_the_baskets(app):
    scenario = build_scenario()
    preview = subscription_preview(
        scenario.offer, scenario.member, **choices(scenario), donation_per_delivery_cents=150
    )
    assert (preview.total_cents, preview.donation_total_cents) == (15000, 1500)
    assert preview.amount_to_pay_cents == 16500
    assert sum(item.amount_cents for item in preview.installments) == 16500
    assert counts()["ledger"] == 0


def test_signing_books_one_donation_and_one_fund_movement_for_the_season(app):
    scenario = build_scenario()
    subscription = subscribe(
        scenario.offer, scenario.member, **choices(scenario), donation_per_delivery_cents=150
    )
    db.session.commit()

    assert subscription.donation_per_delivery_cents == 150
    assert {d.price_cents for d in subscription.deliveries} == {1500}  # the baskets' price
    installments = db.session.scalar(
        select(func.sum(Installment.amount_cents)).where(
            Installment.subscription_id == subscription.id
        )
    )
    assert installments == 16500
    entries = {
        entry.kind: entry
        for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    }
    assert entries["commitment"].amount_cents == -15000
    assert entries["donation"].amount_cents == -1500
    assert entries["donation"].subscription_id == subscription.id
    assert entries["donation"].offer_id is None  # the producer is not owed the gift
    assert "Panier suspendu" in entries["donation"].label
    [movement] = db.session.scalars(select(FundMovement)).all()
    assert (movement.kind, movement.amount_cents) == ("donation", 1500)
    assert movement.ledger_entry_id == entries["donation"].id
    group_id = scenario.offer.group_id
    assert balance_cents(scenario.member.id, group_id) == -installments
    assert fund_balance_cents(group_id) == 1500


@pytest.mark.parametrize(
    ("cents", "message"),
    [(-1, "ne peut pas être négatif"), (10_001, "ne peut dépasser 100,00")],
)
def test_bad_gifts_are_refused(app, cents, message):
    scenario = build_scenario()
    with pytest.raises(DomainError, match=message) as refused:
        subscribe(
            scenario.offer, scenario.member, **choices(scenario), donation_per_delivery_cents=cents
        )
    db.session.rollback()
    assert refused.value.field == "donation_per_delivery"
    assert counts() == {"subscriptions": 0, "deliveries": 0, "installments": 0, "ledger": 0}


@pytest.fixture
def scenario(app, login):
    built = build_scenario(utcnow())
    login(built.member)
    return built


def test_the_pages_show_the_gift_separately(client, scenario):
    data = {**form_data(scenario), "donation_per_delivery": "1,50"}
    summary = readable(client.post(url(scenario), data={**data, "preview": "1"}))
    assert "Panier suspendu : j'ajoute … € à chaque livraison" in summary
    assert "1,50 € par livraison, soit 15,00 € pour le fonds de solidarité" in summary
    assert "Total à payer" in summary and "165,00 €" in summary

    response = client.post(url(scenario), data={**data, "confirm": "1"})
    assert response.status_code == 302
    detail = readable(client.get(response.headers["Location"]))
    assert "1,50 € par livraison, soit 15,00 € pour le fonds de solidarité" in detail
    assert "165,00 €" in detail
    assert fund_balance_cents(scenario.offer.group_id) == 1500


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Indiquez un montant en euros, par exemple 5,00."),
        ("-2", "Indiquez un montant en euros, par exemple 5,00."),
        ("150", "Le panier suspendu ne peut dépasser 100,00 € par livraison."),
    ],
)
def test_bad_typed_gifts_give_form_errors(client, scenario, typed, message):
    data = {**form_data(scenario), "donation_per_delivery": typed, "confirm": "1"}
    response = client.post(url(scenario), data=data)
    assert response.status_code == 200
    assert message in readable(response)
    assert counts() == {"subscriptions": 0, "deliveries": 0, "installments": 0, "ledger": 0}


def test_no_gift_is_the_default(client, scenario):
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert response.status_code == 302
    assert counts()["ledger"] == 1
    assert fund_balance_cents(scenario.offer.group_id) == 0
