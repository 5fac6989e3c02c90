"""Ledger entries say what happened: read in the reader's language, stored in French for the
accounting files, a person's own words shown as typed."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import insert, select

from marketplace.books import fec, remittances
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.entry_words import ENTRY_WORDS, entry_label, words
from marketplace.payments.ledger import book_entries, book_entry
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.books import scene as scenes
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable

CHRISTMAS_WEEK = date(2026, 12, 22)


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def statement(client, group) -> str:
    return readable(client.get(f"/groupes/{group.slug}/mon-releve"))


def absence(user, group, day=CHRISTMAS_WEEK) -> LedgerEntry:
    return book_entry(
        user_id=user.id,
        group_id=group.id,
        kind="credit",
        amount_cents=1500,
        occurred_on=day,
        **words("absence", date=day).fields(),
    )


def reading_as(user, language: str) -> None:
    user.language = language
    db.session.commit()


def test_an_entry_booked_in_english_is_stored_in_french_and_read_in_each_language(
    client, group, user_with_role
):
    member = user_with_role("member", group)
    with force_locale("en"):  # booked while the household browses in English
        entry = absence(member, group)
    db.session.commit()
    assert entry.label == "Absence du 22 décembre 2026"
    assert (entry.label_key, entry.label_params) == ("absence", {"date": "2026-12-22"})

    reading_as(member, "fr")
    assert "Absence du 22 décembre 2026" in statement(client, group)
    reading_as(member, "en")
    page = statement(client, group)
    assert "Absence on December 22, 2026" in page and "décembre" not in page


def test_dates_and_amounts_are_written_in_the_readers_locale(app):
    pledge = words("donation_pledge", offer="Légumes", amount_cents=250, num=3)
    with force_locale("fr"):
        # (« 1er » where French typography is on; the tests run without it)
        assert words("absence", date=date(2026, 12, 1)).text() == "Absence du 1 décembre 2026"
        assert "2,50\u00a0€ × 3 livraisons" in pledge.text()
    with force_locale("en"):
        assert words("absence", date=CHRISTMAS_WEEK).text() == "Absence on December 22, 2026"
        assert "€2.50 × 3 deliveries" in pledge.text()
    assert pledge.french().startswith("Panier suspendu — Légumes")


def test_every_kind_has_an_english_sentence(app):
    samples = {
        "date": "2026-12-22",
        "offer": "Légumes",
        "season": "2026",
        "num": 2,
        "amount_cents": 300,
        "period": "2026",
        "group": "AMAP",
        "method": "cash",
        "id": 7,
        "bank": "LCL",
        "number": "",
    }
    for key, write in ENTRY_WORDS.items():
        with force_locale("fr"):
            french = write(samples)
        with force_locale("en"):
            english = write(samples)
        assert french and english, key
        if key not in {"offline_payment"}:  # "Espèces"/"Cash" differ too, but say so below
            assert french != english, key
    with force_locale("en"):
        assert ENTRY_WORDS["offline_payment"]({"method": "cash"}) == "Cash"


def test_old_entries_without_a_kind_show_their_stored_label(client, group, user_with_role):
    member = user_with_role("member", group)
    factories.LedgerEntryFactory(
        user=member, group_id=group.id, kind="credit", amount_cents=900,
        occurred_on=CHRISTMAS_WEEK, label="Panier absent du 22 décembre",
    )  # fmt: skip
    db.session.commit()
    reading_as(member, "en")
    assert "Panier absent du 22 décembre" in statement(client, group)


def test_a_persons_own_words_are_shown_as_typed_in_both_languages(client, group, user_with_role):
    member = user_with_role("member", group)
    note = "Régularisation vue avec Mme Smith (panier du 3)"
    entry = book_entry(
        user_id=member.id, group_id=group.id, kind="adjustment", amount_cents=-350,
        occurred_on=CHRISTMAS_WEEK, label=f"  {note} ",
    )  # fmt: skip
    db.session.commit()
    assert (entry.label, entry.label_key, entry.label_params) == (note, None, None)
    for language in ("fr", "en"):
        reading_as(member, language)
        assert note in statement(client, group)


def test_words_are_checked_before_anything_is_stored(app, group):
    user = factories.UserFactory()
    db.session.commit()
    common = dict(
        user_id=user.id,
        group_id=group.id,
        kind="credit",
        amount_cents=100,
        occurred_on=CHRISTMAS_WEEK,
    )
    with pytest.raises(KeyError):
        book_entry(**common, label_key="no_such_kind")
    with pytest.raises(KeyError):
        book_entry(**common, label_key="absence", label_params={})  # its date is missing
    with pytest.raises(ValueError):
        book_entry(**common)  # no words at all
    with pytest.raises(ValueError):
        book_entry(**common, label="Texte", label_key="donation_gift")
    with pytest.raises(TypeError):
        words("absence", date=object())
    as_new_request()
    assert db.session.scalar(select(LedgerEntry.id)) is None


def test_many_entries_at_once_get_their_french_words(app, group):
    users = factories.UserFactory.create_batch(3)
    db.session.commit()
    with force_locale("en"):
        book_entries([
            {"user_id": user.id, "group_id": group.id, "kind": "commitment", "amount_cents": -100,
             "occurred_on": CHRISTMAS_WEEK,
             **words("season_completed", offer="Légumes", num=index + 1).fields()}
            for index, user in enumerate(users)
        ])  # fmt: skip
    labels = db.session.scalars(select(LedgerEntry.label).order_by(LedgerEntry.id)).all()
    assert labels == [
        "Légumes — saison complétée, 1 livraison ajoutée",
        "Légumes — saison complétée, 2 livraisons ajoutées",
        "Légumes — saison complétée, 3 livraisons ajoutées",
    ]


def test_the_statement_takes_the_same_queries_for_few_or_many_entries(
    client, group, user_with_role
):
    member = user_with_role("member", group)
    reading_as(member, "en")

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/groupes/{group.slug}/mon-releve").status_code == 200
        return counter.count

    absence(member, group)
    db.session.commit()
    few = queries()
    for day in range(1, 10):
        absence(member, group, date(2026, 11, day))
        book_entry(
            user_id=member.id, group_id=group.id, kind="payment", amount_cents=1000,
            occurred_on=date(2026, 11, day),
            **words("offline_payment", method="cheque", bank="LCL", number=f"12{day}").fields(),
        )  # fmt: skip
    db.session.commit()
    assert queries() == few


# --- The producer's statement (coordinators) and its CSV, the FEC ------------------------------


@pytest.fixture
def scene(app):
    return scenes.build()


def card_payment(scene) -> LedgerEntry:
    household = scene.households[0] if scene.households else factories.UserFactory()
    with force_locale("en"):
        entry = book_entry(
            user_id=household.id, group_id=scene.group.id, kind="payment", amount_cents=4200,
            occurred_on=paris_today(), offer_id=scene.farm_offer.id,
            **words("card_installment_payment", method="card").fields(),
        )  # fmt: skip
    db.session.commit()
    return entry


def test_the_producers_statement_and_its_csv_in_the_treasurers_language(client, login, scene):
    card_payment(scene)
    login(scene.coordinator)
    url = f"/groupes/{scene.group.slug}/gestion/comptabilite/producteurs/{scene.farm.id}/releve"
    french = "Paiement d'une échéance par carte bancaire"
    reading_as(scene.coordinator, "fr")
    assert french in readable(client.get(url))
    assert french in client.get(url + "?format=csv").get_data(as_text=True)
    reading_as(scene.coordinator, "en")
    assert "Payment of an instalment by bank card" in readable(client.get(url))
    csv_text = client.get(url + "?format=csv").get_data(as_text=True)
    assert "Payment of an instalment by bank card" in csv_text and french not in csv_text


def test_the_fec_stays_french_whatever_the_treasurers_language(client, login, scene):
    card_payment(scene)
    remittances.remit(
        group_id=scene.group.id, kind="bank", payment_ids=[c.id for c in scene.cheques[:2]],
        producer_id=None, created_by_id=scene.coordinator.id, today=paris_today(),
        now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    login(scene.coordinator)
    reading_as(scene.coordinator, "en")
    response = client.post(
        f"/groupes/{scene.group.slug}/gestion/comptabilite/fec",
        data={"year": str(paris_today().year), "siren": "732829320", "format": "csv"},
    )
    text = response.get_data(as_text=True)
    assert "Paiement d'une échéance par carte bancaire" in text
    assert "Remise de chèques n° " in text  # written for the file, in French too
    assert "instalment" not in text and "Cheque deposit" not in text
    with force_locale("en"):
        labels = {entry.label for entry in fec.entries(scene.group.id, paris_today().year)}
    assert "Paiement d'une échéance par carte bancaire" in labels


# --- The migration's backfill -----------------------------------------------------------------


def _migration():
    path = Path(__file__).parents[2] / "migrations/versions/0023_ledger_label_words.py"
    spec = importlib.util.spec_from_file_location("ledger_label_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Absence du 22 décembre 2026", ("absence", {"date": "2026-12-22"})),
        ("Absence du 1er\u00a0mars 2027 annulée", ("absence_cancelled", {"date": "2027-03-01"})),
        ("Don au fonds de solidarité", ("donation_gift", None)),
        ("Contestation gagnée\u202f: paiement rétabli", ("dispute_won", None)),
        ("Adhésion 2026-2027 à AMAP des Canuts",
         ("membership_fee", {"period": "2026-2027", "group": "AMAP des Canuts"})),
        ("Légumes — saison 2026, 24 livraisons",
         ("commitment", {"offer": "Légumes", "season": "2026", "num": 24})),
        ("Résiliation — 1 livraison non due", ("cancellation", {"num": 1})),
        ("Chèque n° 0012345 (Crédit Agricole)",
         ("offline_payment", {"method": "cheque", "number": "0012345", "bank": "Crédit Agricole"})),
        ("Panier suspendu — Pain, 2,50 € × 10 livraisons",
         ("donation_pledge", {"offer": "Pain", "amount_cents": 250, "num": 10})),
        ("Panier non retiré le 3 juin 2026 — Légumes",
         ("uncollected_basket", {"date": "2026-06-03", "offer": "Légumes"})),
        ("Absence on December 22, 2026", None),  # booked in English once: kept as stored
        ("Absence du 31 février 2026", None),  # no such day: kept as stored
        ("Erreur de saisie", None),
    ],
)  # fmt: skip
def test_the_migration_recognises_the_sites_french_labels(label, expected):
    assert _migration().words_of(label) == expected


def test_the_backfill_sets_the_kinds_it_recognises_and_nothing_else(app, group):
    user = factories.UserFactory()
    db.session.commit()
    labels = ["Absence du 22 décembre 2026", "Prélèvement SEPA par le groupe", "Trop-perçu rendu"]
    db.session.execute(
        insert(LedgerEntry),
        [{"user_id": user.id, "group_id": group.id, "kind": "credit", "amount_cents": 100,
          "occurred_on": CHRISTMAS_WEEK, "label": label} for label in labels],
    )  # fmt: skip
    _migration()._backfill(db.session.connection())
    as_new_request()
    rows = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(row.label_key, row.label_params) for row in rows] == [
        ("absence", {"date": "2026-12-22"}),
        ("group_debit", None),
        (None, None),
    ]
    with force_locale("en"):
        assert [entry_label(row) for row in rows] == [
            "Absence on December 22, 2026",
            "SEPA direct debit by the group",
            "Trop-perçu rendu",
        ]
