"""The accounting export (FEC) page: the SIREN typed by the treasurer, the file's name and
format; the accountant's CSV."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from marketplace.books import fec, payouts, remittances
from marketplace.extensions import db
from marketplace.payments import offline
from marketplace.timezones import paris_today
from tests import factories
from tests.books import scene as scenes
from tests.payments.support import readable

TODAY = date(2026, 12, 7)


@pytest.fixture
def scene(app):
    scene = scenes.build()
    remittances.remit(
        group_id=scene.group.id, kind="bank", payment_ids=[c.id for c in scene.cheques[:2]],
        producer_id=None, created_by_id=scene.coordinator.id, today=TODAY,
        now=datetime(2026, 12, 7, 17, tzinfo=UTC),
    )  # fmt: skip
    remittances.remit(
        group_id=scene.group.id, kind="producer", payment_ids=[scene.cheques[2].id],
        producer_id=scene.baker.id, created_by_id=scene.coordinator.id, today=TODAY,
        now=datetime(2026, 12, 7, 17, tzinfo=UTC),
    )  # fmt: skip
    payouts.make_run(
        group=scene.group, producer_ids=[scene.farm.id], created_by_id=scene.coordinator.id,
        today=TODAY,
    )  # fmt: skip
    db.session.commit()
    return scene


def url(scene):
    return f"/groupes/{scene.group.slug}/gestion/comptabilite/fec"


def test_the_fec_is_named_by_siren_and_closing_date_and_balances(client, login, scene):
    login(scene.coordinator)
    response = client.post(
        url(scene), data={"year": "2026", "siren": "732 829 320", "format": "fec"}
    )
    assert response.status_code == 200
    assert 'filename="732829320FEC20261231.txt"' in response.headers["Content-Disposition"]
    lines = response.data.decode("iso-8859-15").split("\r\n")[:-1]
    header, *rows = [line.split("\t") for line in lines]
    assert header == list(fec.COLUMNS)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert len(row) == 18 and len(row[3]) == 8 and row[3].startswith("2026")
        totals[row[2]] += Decimal(row[11].replace(",", ".")) - Decimal(row[12].replace(",", "."))
    assert totals and all(total == 0 for total in totals.values())
    accounts = {(row[0], row[4]) for row in rows}
    # Cheques received, deposited, handed to the baker; the farm paid by transfer.
    assert {("BQ", "511200"), ("BQ", "512000"), ("BQ", "467000")} <= accounts
    assert any(row[4] == "467000" and row[6] == f"P{scene.farm.id}" and row[11] == "75,00"
               for row in rows)  # fmt: skip


def test_the_accountants_csv(client, login, scene):
    login(scene.coordinator)
    response = client.post(url(scene), data={"year": "2026", "siren": "732829320", "format": "csv"})
    text = response.get_data(as_text=True)
    assert text.startswith("JournalCode;JournalLib;EcritureNum")
    assert "Remise de chèques n° " in text


@pytest.mark.parametrize("siren", ["12345678", "abcdefghi", "732829321"])
def test_a_bad_siren_is_refused_on_the_form(client, login, scene, siren):
    login(scene.coordinator)
    response = client.post(url(scene), data={"year": "2026", "siren": siren, "format": "fec"})
    assert response.headers["Content-Type"].startswith("text/html")
    assert (
        "SIREN" in readable(response)
        and "n'est pas valide" in readable(response)
        or ("9 chiffres" in readable(response))
    )


def test_the_form_offers_last_year(client, login, scene):
    login(scene.coordinator)
    html = client.get(url(scene)).get_data(as_text=True)
    assert "Export comptable (FEC)" in html
    assert f'value="{paris_today().year - 1}"' in html


def _paid_online(scene, method: str, amount: int):
    user, row = scenes.installment(scene.farm_offer, f"Foyer {method}", amount)
    entry = factories.LedgerEntryFactory(
        user=user, group_id=scene.group.id, kind="payment", amount_cents=amount,
        offer_id=scene.farm_offer.id, occurred_on=TODAY, label="Paiement",
        external_reference=f"pi_{method}",
    )  # fmt: skip
    factories.CardPaymentFactory(
        installment=row, method=method, ledger_entry_id=entry.id,
        stripe_payment_intent_id=f"pi_{method}",
    )  # fmt: skip
    return entry


def test_each_journal_takes_its_money(scene):
    cash = scenes.cheque(scene.farm_offer, "Denis Cash", 2000, method="cash")
    db.session.flush()
    offline.mark_received(
        group_id=scene.group.id, payment_ids=[cash.id],
        now=datetime(2026, 12, 7, 18, tzinfo=UTC), today=TODAY,
    )  # fmt: skip
    _paid_online(scene, "sepa_debit", 3300)
    _paid_online(scene, "card", 1100)
    db.session.commit()
    lines = {
        (entry.journal, entry.debit.account, entry.credit.account, entry.amount_cents)
        for entry in fec.entries(scene.group.id, 2026)
    }
    assert ("CA", "530000", "411000", 2000) in lines
    assert ("PR", "512000", "411000", 3300) in lines
    assert ("BQ", "512000", "411000", 1100) in lines
    assert ("BQ", "511200", "411000", 4500) in lines  # a cheque received
    assert ("BQ", "512000", "511200", 7500) in lines  # the bank deposit
    assert ("BQ", "467000", "511200", 1200) in lines  # handed to the baker
    assert ("BQ", "467000", "512000", 7500) in lines  # the farm's payout
    assert fec.entries(scene.group.id, 2025) == []


def test_a_credit_carried_to_another_contract_moves_no_money(scene):
    user = scene.cheques[0].user_id
    for kind, amount, reference in (
        ("refund", -2000, "credit-settlement:5"),
        ("payment", 2000, "credit-settlement:5:77"),
        ("refund", -900, "credit-settlement:6"),  # a refund by transfer: money out
    ):
        factories.LedgerEntryFactory(
            user_id=user, group_id=scene.group.id, kind=kind, amount_cents=amount,
            offer_id=scene.farm_offer.id, occurred_on=TODAY, external_reference=reference,
        )  # fmt: skip
    db.session.commit()
    transit = 0
    for entry in fec.entries(scene.group.id, TODAY.year):
        transit += entry.amount_cents * (
            (entry.debit.account == "580000") - (entry.credit.account == "580000")
        )
    assert transit == 0
    lines = {
        (entry.journal, entry.debit.account, entry.credit.account, entry.amount_cents)
        for entry in fec.entries(scene.group.id, TODAY.year)
    }
    assert ("VE", "411000", "580000", 2000) in lines and ("VE", "580000", "411000", 2000) in lines
    assert ("BQ", "411000", "512000", 900) in lines
