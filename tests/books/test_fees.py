"""The payment provider's fees: read when a card or SEPA payment succeeds, deducted from what
the producer is owed, shown on its statement, booked in the FEC as bank services."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.books import fec, owed
from marketplace.cards import settlement
from marketplace.cards.models import CardPayment
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests.books import scene as scenes
from tests.payments.support import readable


@pytest.fixture
def scene(app):
    return scenes.build()


def intent(payment, *, fee=None, charge=True):
    found = {"id": f"pi_fee{payment.id:06d}", "status": "succeeded"}
    if charge:
        # No fee given: the balance transaction is not there yet (a SEPA debit on its way).
        transaction = {"id": "txn_1", "fee": fee} if fee is not None else None
        found["latest_charge"] = {"id": "ch_1", "balance_transaction": transaction}
    return found


def card_paid(scene, amount, **intent_args) -> CardPayment:
    user, row = scenes.installment(scene.farm_offer, "Denis Carte", amount)
    payment = settlement.new_payment(
        user=user, group_id=scene.group.id, amount_cents=amount, installment=row
    )
    settlement.record_intent(payment, intent(payment, **intent_args))
    db.session.commit()
    return payment


def owed_to(scene, producer):
    by_id = {b.producer_id: b for b in owed.balances(scene.group.id)}
    return by_id[producer.id]


def test_a_fee_read_from_the_charge_lowers_what_the_producer_is_owed(scene):
    before = owed_to(scene, scene.farm).owed_cents
    payment = card_paid(scene, 5000, fee=95)
    assert payment.state == "succeeded" and payment.fee_cents == 95
    farm = owed_to(scene, scene.farm)
    assert (farm.collected_cents, farm.fees_cents) == (5000, 95)
    assert farm.owed_cents == before + 5000 - 95
    assert owed_to(scene, scene.baker).fees_cents == 0


def test_an_unknown_fee_never_blocks_the_payment(scene):
    without_charge = card_paid(scene, 3000, charge=False)
    unexpanded = card_paid(scene, 2000)  # no balance transaction yet: unknown
    for payment in (without_charge, unexpanded):
        assert payment.state == "succeeded" and payment.ledger_entry_id is not None
        assert payment.fee_cents is None
    assert owed_to(scene, scene.farm).fees_cents == 0


def test_the_statement_shows_the_fees(client, login, scene):
    card_paid(scene, 5000, fee=95)
    login(scene.coordinator)
    url = f"/groupes/{scene.group.slug}/gestion/comptabilite/producteurs/{scene.farm.id}/releve"
    page = readable(client.get(url))
    assert "Frais de paiement" in page and "-0,95 €" in page.replace("−", "-")
    csv = client.get(url + "?format=csv").get_data(as_text=True)
    assert "Frais de paiement" in csv and "-0,95" in csv
    assert client.get(url + "?format=pdf").data.startswith(b"%PDF")
    assert "0,95 €" in readable(client.get(f"/groupes/{scene.group.slug}/gestion/comptabilite"))
    statement = owed.statement(
        scene.group.id, scene.farm.id, start=paris_today(), end=paris_today()
    )
    assert statement.total("fees") == -95


def test_the_fec_charges_the_fee_to_the_producer_and_balances(scene):
    payment = card_paid(scene, 5000, fee=95)
    rows = fec.rows(scene.group.id, paris_today().year)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row[2]] += Decimal(row[11].replace(",", ".")) - Decimal(row[12].replace(",", "."))
    assert totals and all(total == 0 for total in totals.values())
    fee_lines = [row for row in rows if row[8] == f"F{payment.id}"]
    # The producer bears it (its statement deducts it): its account 467, as it is owed less.
    assert [(row[0], row[4], row[6], row[11], row[12]) for row in fee_lines] == [
        ("BQ", "467000", f"P{scene.farm.id}", "0,95", "0,00"),
        ("BQ", "512000", "", "0,00", "0,95"),
    ]


def test_a_negative_fee_is_refused_by_the_database(scene):
    payment = card_paid(scene, 5000, fee=95)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the engine's IntegrityError
        db.session.execute(
            CardPayment.__table__.update().where(CardPayment.id == payment.id).values(fee_cents=-1)
        )
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(CardPayment.fee_cents)) == 95


@pytest.mark.usefixtures("stripe_server")
def test_reading_the_fee_of_a_localstripe_payment_does_not_fail():
    from marketplace.cards.charging import charge_due_installments
    from marketplace.db import utcnow
    from tests.cards.dunning_helpers import card_installment, household_of, save_card

    installment = card_installment()
    save_card(household_of(installment))
    db.session.commit()
    charge_due_installments(paris_today(), now=utcnow(), commit=db.session.commit)

    payment = db.session.scalars(select(CardPayment)).one()
    assert payment.state == "succeeded" and payment.ledger_entry_id is not None
    assert payment.fee_cents == 0  # localstripe keeps no fee


@pytest.mark.usefixtures("stripe_server")
def test_a_charge_stripe_cannot_find_leaves_the_fee_unknown_and_books_the_payment(scene):
    user, row = scenes.installment(scene.farm_offer, "Denis Carte", 4000)
    payment = settlement.new_payment(
        user=user, group_id=scene.group.id, amount_cents=4000, installment=row
    )
    found = {"id": "pi_lost000001", "status": "succeeded", "latest_charge": "ch_missing"}
    settlement.record_intent(payment, found)
    db.session.commit()
    assert payment.state == "succeeded" and payment.ledger_entry_id is not None
    assert payment.fee_cents is None
