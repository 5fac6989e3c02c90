"""The books' services: remitting cheques, what each producer is owed, payout runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import xmlschema

from marketplace import unique
from marketplace.books import fec, owed, payouts, remittances
from marketplace.books.sepa import SCHEMA_FILE
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import OfflinePayment
from tests import factories
from tests.books import scene as scenes

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


@pytest.fixture
def scene(app):
    return scenes.build()


def remit(scene, kind, payments, producer=None):
    return remittances.remit(
        group_id=scene.group.id,
        kind=kind,
        payment_ids=[payment.id for payment in payments],
        producer_id=producer.id if producer else None,
        created_by_id=scene.coordinator.id,
        today=TODAY,
        now=NOW,
    )


def owed_to(scene, producer):
    by_id = {b.producer_id: b for b in owed.balances(scene.group.id, until=TODAY)}
    return by_id[producer.id]


def test_a_bank_deposit_books_the_cheques_and_leaves_them_owed_to_their_producers(scene):
    remittance = remit(scene, "bank", scene.cheques)
    db.session.commit()
    assert remittance.total_cents == 8700 and remittance.payments_count == 3
    assert {p.state for p in db.session.scalars(db.select(OfflinePayment))} == {"received"}
    assert owed_to(scene, scene.farm).owed_cents == 7500
    assert owed_to(scene, scene.baker).owed_cents == 1200
    assert remittances.pending_cheques(scene.group.id) == []


def test_cheques_handed_to_their_producer_are_settled(scene):
    remit(scene, "producer", scene.cheques[:2], producer=scene.farm)
    db.session.commit()
    farm = owed_to(scene, scene.farm)
    assert (farm.collected_cents, farm.handed_over_cents, farm.owed_cents) == (7500, 7500, 0)


def test_the_same_click_twice_remits_once(scene):
    first = remit(scene, "bank", scene.cheques)
    db.session.commit()
    with pytest.raises(unique.AlreadyCreatedError) as caught:
        remit(scene, "bank", scene.cheques)
    assert caught.value.existing.id == first.id


def test_nothing_selected_or_a_cheque_of_another_producer_is_refused(scene):
    with pytest.raises(DomainError):
        remit(scene, "bank", [])
    with pytest.raises(DomainError):
        remit(scene, "producer", scene.cheques, producer=scene.farm)
    db.session.rollback()
    assert len(remittances.pending_cheques(scene.group.id)) == 3


def test_a_payout_run_pays_what_is_owed_once_in_a_valid_sepa_file(scene):
    remit(scene, "bank", scene.cheques)
    run = payouts.make_run(
        group=scene.group,
        producer_ids=[scene.farm.id, scene.baker.id],
        created_by_id=scene.coordinator.id,
        today=TODAY,
    )
    db.session.commit()
    assert run.total_cents == 8700
    xmlschema.XMLSchema(SCHEMA_FILE).validate(run.xml)
    assert "FR1420041010050500013M02606" in run.xml
    assert owed_to(scene, scene.farm).owed_cents == 0
    with pytest.raises(DomainError):
        payouts.make_run(
            group=scene.group,
            producer_ids=[scene.farm.id],
            created_by_id=scene.coordinator.id,
            today=TODAY,
        )


def test_a_reversal_is_money_an_absence_taken_back_is_not(scene):
    remit(scene, "bank", scene.cheques)
    household = scene.cheques[0].user_id
    for reference, amount in (("dp_1", -1000), ("absence:9:2", -1500)):
        factories.LedgerEntryFactory(
            user_id=household, group_id=scene.group.id, kind="adjustment", amount_cents=amount,
            offer_id=scene.farm_offer.id, occurred_on=TODAY, external_reference=reference,
        )  # fmt: skip
    db.session.commit()
    farm = owed_to(scene, scene.farm)
    assert (farm.refunded_cents, farm.owed_cents) == (1000, 6500)
    journals = {entry.piece: entry.journal for entry in fec.entries(scene.group.id, TODAY.year)}
    assert sorted(journals.values()).count("VE") == 1  # the absence taken back
