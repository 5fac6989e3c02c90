"""Bank statements: a camt.053 built here reconciles debit batches, returns and transfers;
the same statement twice changes nothing; bad files are refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.direct_debit import batches, mandates, notices, reconcile, statements
from marketplace.direct_debit.models import LineState, StatementLine
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import EntryKind, InstallmentState, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.direct_debit.scene import camt053, debit_household, group_with_settings


def _batch(group, coordinator):
    notices.send_notices(paris_today(), utcnow())
    return batches.build_batch(
        group_id=group.id,
        settings=mandates.settings_of(group.id),
        request_key="key",
        created_by_id=coordinator.id,
        today=paris_today(),
    )


def _import(group, data: bytes, coordinator, name="releve.xml"):
    return reconcile.import_lines(
        group,
        statements.parse(data, name),
        by_id=coordinator.id,
        today=paris_today(),
        now=utcnow(),
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_camt053_reconciles_batch_return_and_transfer(app, outbox):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    _u1, _s1, first, _m1 = debit_household(group, due_in_days=(2,), amount_cents=3000)
    _u2, _s2, second, _m2 = debit_household(
        group, due_in_days=(2,), amount_cents=4500, iban_index=1
    )
    batch = _batch(group, coordinator)
    # A household paying by transfer, with the reference the how-to-pay page gives it.
    transfer_sub = factories.SubscriptionFactory(
        offer=factories.BasketOfferFactory(supply__group=group), payment_method="transfer"
    )
    transfer = factories.InstallmentFactory(
        subscription=transfer_sub, sequence=1, amount_cents=2000
    )
    returned_item = next(item for item in batch.items if item.installment_id == second[0].id)
    day = paris_today() + timedelta(days=3)
    data = camt053(
        [
            dict(
                entry_ref="E1",
                amount_cents=7500,
                booked_on=day,
                reference=batch.reference,
                label="REMISE PRLV SEPA",
            ),
            dict(
                entry_ref="E2",
                amount_cents=-4500,
                booked_on=day,
                reference=returned_item.end_to_end_id,
                label="RETOUR PRLV",
                return_code="AM04",
            ),
            dict(
                entry_ref="E3",
                amount_cents=2000,
                booked_on=day,
                reference=f"{group.slug.upper()}-{transfer_sub.id}-1",
                label="VIR DUPONT",
            ),
            dict(entry_ref="E4", amount_cents=1234, booked_on=day, label="VIR INCONNU"),
        ]
    )
    outcome = _import(group, data, coordinator)
    assert (outcome.new, outcome.matched) == (4, 3)
    assert first[0].state == InstallmentState.PAID.value
    assert second[0].state == InstallmentState.FAILED.value
    assert transfer.state == InstallmentState.PAID.value
    assert [line.label for line in reconcile.unmatched(group.id)] == ["VIR INCONNU"]
    entries = _count(LedgerEntry)
    # The same statement again: nothing changes.
    again = _import(group, data, coordinator)
    assert (again.new, again.already, again.matched) == (0, 4, 0)
    assert _count(LedgerEntry) == entries
    payments = db.session.scalars(
        select(LedgerEntry.external_reference).where(LedgerEntry.kind == EntryKind.PAYMENT.value)
    ).all()
    assert len(payments) == len(set(payments)) == 3


def test_an_unmatched_credit_is_matched_by_hand_or_ignored(app):
    group = group_with_settings()
    coordinator = factories.UserFactory()
    sub = factories.SubscriptionFactory(
        offer=factories.BasketOfferFactory(supply__group=group), payment_method="transfer"
    )
    installment = factories.InstallmentFactory(subscription=sub, sequence=1, amount_cents=2000)
    data = b"date;amount;label;reference\n07/12/2026;20,00;VIR MME X;\n07/12/2026;5,00;FRAIS;\n"
    _import(group, data, coordinator, "releve.csv")
    credit, fee = reconcile.unmatched(group.id)
    with pytest.raises(DomainError):
        reconcile.match_by_hand(
            group.id, fee, installment.id, by_id=coordinator.id, today=paris_today(), now=utcnow()
        )
    reconcile.match_by_hand(
        group.id, credit, installment.id, by_id=coordinator.id, today=paris_today(), now=utcnow()
    )
    reconcile.ignore(fee)
    assert installment.state == InstallmentState.PAID.value
    assert (credit.state, fee.state) == (LineState.MATCHED.value, LineState.IGNORED.value)
    assert reconcile.unmatched(group.id) == []


@pytest.mark.parametrize(
    "data",
    [
        b"<Document><BkToCstmrStmt>",  # malformed
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Document>&x;</Document>",  # an external entity
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<Document>&b;</Document>",  # entity expansion
        b"<Other/>",
    ],
)
def test_unsafe_or_malformed_xml_is_refused(data):
    with pytest.raises(DomainError, match="camt.053"):
        statements.parse(data, "releve.xml")


def test_a_huge_statement_is_refused(app):
    with pytest.raises(DomainError, match="trop gros"):
        statements.parse(b"x" * (statements.MAX_STATEMENT_BYTES + 1), "releve.csv")


def test_a_csv_without_the_columns_is_refused():
    with pytest.raises(DomainError, match="colonnes"):
        statements.parse(b"when,how much\n2026-12-07,12.00\n", "releve.csv")


def test_nothing_is_kept_from_a_bad_file(app):
    group = group_with_settings()
    with pytest.raises(DomainError):
        statements.parse(b"date,amount,label,reference\n2026-12-07,douze,X,Y\n", "r.csv")
    assert _count(StatementLine) == 0
    assert group.id


def test_a_bank_crediting_each_debit_on_its_own_line(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    debit_household(group, due_in_days=(2,), amount_cents=3000)
    debit_household(group, due_in_days=(2,), amount_cents=4500, iban_index=1)
    batch = _batch(group, coordinator)
    day = paris_today() + timedelta(days=3)
    first, second = batch.items
    data = camt053(
        [
            dict(
                entry_ref="C1",
                amount_cents=first.amount_cents,
                booked_on=day,
                reference=first.end_to_end_id,
            ),
            dict(
                entry_ref="C2",
                amount_cents=second.amount_cents,
                booked_on=day,
                reference=second.end_to_end_id,
            ),
        ]
    )
    assert _import(group, data, coordinator).matched == 2
    assert batch.state == "collected"
    assert {first.state, second.state} == {"collected"}


def test_a_credit_of_the_wrong_amount_waits_for_a_person(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    debit_household(group, due_in_days=(2,), amount_cents=3000)
    batch = _batch(group, coordinator)
    data = camt053(
        [
            dict(
                entry_ref="C1",
                amount_cents=2999,
                booked_on=paris_today(),
                reference=batch.reference,
            )
        ]
    )
    assert _import(group, data, coordinator).matched == 0
    assert batch.state == "submitted"
    assert len(reconcile.unmatched(group.id)) == 1
