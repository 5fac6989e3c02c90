"""Debits through the group's own bank: settings, mandates, notices, pain.008 batches,
collection booked once, returns followed up like a refused card."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import xmlschema
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import marketplace.direct_debit as direct_debit_package
from marketplace.db import utcnow
from marketplace.direct_debit import batches, mandates, notices
from marketplace.direct_debit.identifiers import clean_ics
from marketplace.direct_debit.models import DebitBatchItem, DebitSettings, ItemState
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import EntryKind, InstallmentState, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.direct_debit.scene import ICS, debit_household, group_with_settings
from tests.helpers import message_text

SCHEMA = Path(direct_debit_package.__file__).parent / "schemas" / "pain.008.001.02.xsd"


def _notify_and_batch(group, coordinator, *, days_ahead=0, key="k1"):
    today = paris_today() + timedelta(days=days_ahead)
    notices.send_notices(today, utcnow())
    return batches.build_batch(
        group_id=group.id,
        settings=mandates.settings_of(group.id),
        request_key=key,
        created_by_id=coordinator.id,
        today=today,
    )


@pytest.mark.parametrize("ics", ["DE98ZZZ09999999999", "FR72ZZZ123456", "fr72 zzz 123456"])
def test_valid_creditor_identifiers(ics):
    assert clean_ics(ics) == ics.replace(" ", "").upper()


@pytest.mark.parametrize("ics", ["FR73ZZZ123456", "FR72ZZZ12345!", "12ZZZ", ""])
def test_wrong_creditor_identifiers_are_refused(ics):
    with pytest.raises(DomainError):
        clean_ics(ics)


def test_wrong_settings_change_nothing(app):
    group = factories.GroupFactory()
    for wrong in (
        dict(creditor_id="FR00ZZZ123456"),
        dict(iban="FR7630006000011234567890188"),
        dict(notice_days=1),
        dict(bic="NOTABIC!"),
    ):
        values = dict(
            creditor_id=ICS,
            creditor_name="AMAP",
            iban="FR7630006000011234567890189",
            bic="",
            notice_days=14,
        )
        values.update(wrong)
        with pytest.raises(DomainError):
            mandates.save_settings(group, mandates.SettingsData(**values))
    assert db.session.scalar(select(func.count()).select_from(DebitSettings)) == 0


def test_a_signed_mandate_keeps_its_evidence(app):
    group = group_with_settings()
    user, subscription, _installments, mandate = debit_household(group)
    assert subscription.payment_method == "direct_debit"
    assert mandate.ip_address == "203.0.113.7"
    assert mandate.reference in mandate.mandate_text and ICS in mandate.mandate_text
    mandate.iban = "FR7630001007941234567890185"
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()


def test_the_signed_text_must_be_the_one_shown(app):
    group = group_with_settings()
    user = factories.UserFactory()
    with pytest.raises(DomainError):
        mandates.sign(
            group=group,
            user=user,
            signer_name="Dupont",
            iban="DE89370400440532013000",
            bic="",
            shown_text="Je n'autorise rien.",
            reference="X-1",
            ip_address="::1",
            now=utcnow(),
            today=paris_today(),
        )


def test_a_reference_not_made_by_the_site_is_refused(app):
    group = group_with_settings()
    user = factories.UserFactory()
    settings = mandates.settings_of(group.id)
    reference = "<evil>&"
    text = mandates.mandate_text(
        settings,
        reference=reference,
        signer="Dupont",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        language="fr",
    )
    with pytest.raises(DomainError):
        mandates.sign(
            group=group,
            user=user,
            signer_name="Dupont",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            shown_text=text,
            reference=reference,
            ip_address="::1",
            now=utcnow(),
            today=paris_today(),
        )
    assert mandates.is_reference_of(group, mandates.new_reference(group))


def test_revoking_gives_back_the_former_method(app):
    group = group_with_settings()
    _user, subscription, _installments, mandate = debit_household(group)
    mandates.revoke(mandate, utcnow())
    assert subscription.payment_method == "cheque"
    assert mandate.revoked_at is not None


def test_notices_are_sent_once_and_ahead(app, outbox):
    group = group_with_settings(notice_days=14)
    _user, _subscription, installments, _mandate = debit_household(group, due_in_days=(10, 40))
    assert notices.send_notices(paris_today(), utcnow()) == 1
    assert notices.send_notices(paris_today(), utcnow()) == 0  # idempotent
    notice = notices.notice_of([installments[0].id])[installments[0].id]
    # Due in 10 days but notified today: debited no sooner than 14 days from now.
    assert notice.debit_on == paris_today() + timedelta(days=14)
    db.session.commit()  # the notice waits in the outbox until its transaction commits
    assert len(outbox) == 1 and "Prélèvement" in outbox[0]["Subject"]


def test_one_bad_row_never_stops_the_notices(app, monkeypatch, outbox):
    group = group_with_settings()
    debit_household(group, due_in_days=(5,))
    debit_household(group, due_in_days=(6,))
    calls = {"n": 0}
    real = notices._send

    def flaky(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bad row")
        return real(*args)

    monkeypatch.setattr(notices, "_send", flaky)
    errors: list[str] = []
    assert notices.send_notices(paris_today(), utcnow(), errors) == 1
    assert len(errors) == 1
    monkeypatch.setattr(notices, "_send", real)
    assert notices.send_notices(paris_today(), utcnow()) == 1  # the failed one, next run


def test_a_batch_is_a_valid_pain008_with_first_then_recurring(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    _user, _sub, installments, mandate = debit_household(group, due_in_days=(1, 2))
    batch = _notify_and_batch(group, coordinator)
    xmlschema.XMLSchema(str(SCHEMA)).validate(batch.xml)
    types = [item.sequence_type for item in batch.items]
    assert types == ["FRST", "RCUR"]
    assert mandate.reference in batch.xml and "<SeqTp>FRST</SeqTp>" in batch.xml
    assert all(i.state == InstallmentState.PENDING.value for i in installments)
    # The same key (a double click) gives the same batch; nothing left for another one.
    again = batches.build_batch(
        group_id=group.id,
        settings=mandates.settings_of(group.id),
        request_key="k1",
        created_by_id=coordinator.id,
        today=paris_today(),
    )
    assert again.id == batch.id
    with pytest.raises(DomainError):
        _notify_and_batch(group, coordinator, key="k2")


def test_the_next_batch_of_a_mandate_is_recurring(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    debit_household(group, due_in_days=(2, 30))
    first = _notify_and_batch(group, coordinator)
    second = _notify_and_batch(group, coordinator, days_ahead=28, key="k2")
    assert [item.sequence_type for item in first.items] == ["FRST"]
    assert [item.sequence_type for item in second.items] == ["RCUR"]
    xmlschema.XMLSchema(str(SCHEMA)).validate(second.xml)


def test_an_installment_is_never_in_two_batches(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    debit_household(group, due_in_days=(2,))
    batch = _notify_and_batch(group, coordinator)
    item = batch.items[0]
    db.session.commit()
    db.session.add(
        DebitBatchItem(
            batch_id=batch.id,
            installment_id=item.installment_id,
            mandate_id=item.mandate_id,
            user_id=item.user_id,
            amount_cents=item.amount_cents,
            collection_date=item.collection_date,
            sequence_type="RCUR",
            end_to_end_id="OTHER-1",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _payments(group_id):
    return list(
        db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.group_id == group_id, LedgerEntry.kind == EntryKind.PAYMENT.value
            )
        )
    )


def test_collecting_books_each_debit_once(app):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    _user, _sub, installments, _mandate = debit_household(group, due_in_days=(2,))
    batch = _notify_and_batch(group, coordinator)
    assert batches.collect(batch, today=paris_today(), now=utcnow()) == 1
    assert batches.collect(batch, today=paris_today(), now=utcnow()) == 0
    assert len(_payments(group.id)) == 1
    assert installments[0].state == InstallmentState.PAID.value


def test_a_return_unpays_reverses_and_tells_everyone(app, outbox):
    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    user, _sub, installments, _mandate = debit_household(group, due_in_days=(2,))
    batch = _notify_and_batch(group, coordinator)
    batches.collect(batch, today=paris_today(), now=utcnow())
    db.session.commit()  # the notice goes out with its transaction, before the return
    outbox.clear()
    item = batch.items[0]
    assert batches.record_return(item, code="AM04", today=paris_today())
    assert not batches.record_return(item, code="AM04", today=paris_today())  # once
    assert item.state == ItemState.RETURNED.value
    assert installments[0].state == InstallmentState.FAILED.value
    assert installments[0].paid_at is None
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.installment_id == installments[0].id
        )
    )
    assert total == 0  # the payment and its reversal
    db.session.commit()  # the emails wait in the outbox until their transaction commits
    recipients = sorted(message["To"] for message in outbox)
    assert recipients == sorted([user.email, coordinator.email])
    household_mail = next(m for m in outbox if m["To"] == user.email)
    assert "provision" in message_text(household_mail)


def test_a_returned_installment_is_in_the_card_follow_up(app, client, login):
    from marketplace.cards.followup import failed_installments

    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    debit_household(group, due_in_days=(2,))
    batch = _notify_and_batch(group, coordinator)
    batches.record_return(batch.items[0], code="MD01", today=paris_today())
    rows = failed_installments(group.id)
    assert len(rows) == 1 and rows[0].debited_by_group
    db.session.commit()
    login(coordinator)
    page = client.get(f"/groupes/{group.slug}/gestion/paiements-carte")
    assert page.status_code == 200
    assert "Prélèvement rejeté" in page.get_data(as_text=True)


def test_a_file_the_schema_refuses_is_never_kept(app, monkeypatch):
    from sepaxml import SepaDD
    from sepaxml.validation import ValidationError

    from marketplace.direct_debit.models import DebitBatch

    group = group_with_settings(notice_days=2)
    coordinator = factories.UserFactory()
    _user, _sub, installments, _mandate = debit_household(group, due_in_days=(2,))

    def refused(self, validate=True, pretty_print=False):
        raise ValidationError("invalid")

    monkeypatch.setattr(SepaDD, "export", refused)
    with pytest.raises(DomainError, match="pas pu être préparé"):
        _notify_and_batch(group, coordinator)
    assert db.session.scalar(select(func.count()).select_from(DebitBatch)) == 0
    assert installments[0].state == InstallmentState.PLANNED.value
