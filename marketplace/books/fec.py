"""The accounting export of a group for a year: the FEC (fichier des écritures comptables) the
French tax administration asks for, and the same entries as a plain CSV for the accountant.

The FEC has its 18 columns, tab-separated, dates YYYYMMDD, amounts with a decimal comma, and is
named `<SIREN>FEC<closing date>.txt`. Every entry (EcritureNum) has one debit and one credit
line of the same amount, so each balances. Entries come from:
  VE  sales: what households committed to (contracts, orders, gifts), credits given back;
  BQ  bank: card payments, transfers, cheques received, refunds, deposits, payouts, cheques
      and cash handed to producers, the payment provider's fees (bank services);
  CA  cash: cash received;
  PR  direct debit: SEPA payments and their returns.
Money collected for a producer is credited to its account (467, auxiliary P<id>) when the
household commits, and debited when the producer is paid (payout, cheques handed over).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import extract, select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, Subscription
from marketplace.books.models import Payout, Remittance, RemittanceKind
from marketplace.books.owed import NOT_MONEY_PREFIXES
from marketplace.cards.models import CardPayment
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import (
    EntryKind,
    Installment,
    LedgerEntry,
    OfflineMethod,
    OfflinePayment,
    OfflinePaymentState,
)
from marketplace.producers.models import Producer
from marketplace.timezones import paris_today

COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip

JOURNALS = {"VE": "Ventes", "BQ": "Banque", "CA": "Caisse", "PR": "Prélèvements"}
ACCOUNTS = {
    "411000": "Adhérents",
    "467000": "Producteurs",
    "512000": "Banque",
    "511200": "Chèques à encaisser",
    "530000": "Caisse",
    "580000": "Virements internes",
    "627000": "Services bancaires",
    "708000": "Produits des activités annexes",
}


@dataclass(frozen=True)
class Side:
    account: str
    aux_num: str = ""
    aux_lib: str = ""


@dataclass(frozen=True)
class Entry:
    journal: str
    on: date
    piece: str
    label: str
    debit: Side
    credit: Side
    amount_cents: int  # > 0


def checked_siren(value: str) -> str:
    """Nine digits with a valid key (Luhn), as on the association's SIRENE notice."""
    siren = "".join(value.split())
    if not re.fullmatch(r"\d{9}", siren):
        raise DomainError(_("Le SIREN compte 9 chiffres."), field="siren")
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(siren)):
        if position % 2:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    if total % 10:
        raise DomainError(_("Ce SIREN n'est pas valide : vérifiez-le."), field="siren")
    return siren


def file_name(siren: str, year: int) -> str:
    return f"{siren}FEC{year}1231.txt"


def _household(user_id: int, name: str) -> Side:
    return Side("411000", f"A{user_id}", name)


def _producer_side(producer_id: int | None, name: str | None) -> Side:
    if producer_id is None:
        return Side("708000")
    return Side("467000", f"P{producer_id}", name or "")


def _payment_place(method: str | None, reference: str | None) -> tuple[str, str]:
    """(journal, account) where money paid by `method` arrives."""
    if method == "sepa_debit":
        return "PR", "512000"
    if method == OfflineMethod.CASH:
        return "CA", "530000"
    if method == OfflineMethod.CHEQUE or (reference or "").startswith("offline:"):
        return "BQ", "511200"
    return "BQ", "512000"


CREDIT_SETTLEMENT = "credit-settlement:"


def _settlement_of(reference: str | None) -> str | None:
    if not reference or not reference.startswith(CREDIT_SETTLEMENT):
        return None
    return reference.split(":")[1]


def _carried_settlements(rows) -> set[str]:
    """Credit settlements that paid installments of another contract (a carry): their refund
    out of one contract and payments into the other are booked together, under one id."""
    return {
        _settlement_of(row[5])
        for row in rows
        if row[1] == EntryKind.PAYMENT and _settlement_of(row[5]) is not None
    }


def _ledger_entries(group_id: int, year: int) -> list[Entry]:
    card = aliased(CardPayment)
    offline = aliased(OfflinePayment)
    rows = db.session.execute(
        select(
            LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.occurred_on,
            LedgerEntry.label, LedgerEntry.external_reference, User.id, User.name,
            BasketOffer.producer_id, Producer.name, card.method, offline.method,
        )
        .join(User, User.id == LedgerEntry.user_id)
        .outerjoin(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .outerjoin(Producer, Producer.id == BasketOffer.producer_id)
        .outerjoin(card, card.ledger_entry_id == LedgerEntry.id)
        .outerjoin(offline, offline.ledger_entry_id == LedgerEntry.id)
        .where(LedgerEntry.group_id == group_id, extract("year", LedgerEntry.occurred_on) == year)
        .order_by(LedgerEntry.occurred_on, LedgerEntry.id)
    )  # fmt: skip
    rows = rows.all()
    carried = _carried_settlements(rows)
    entries = []
    for (entry_id, kind, amount, on, label, reference, user_id, name,
         producer_id, producer_name, card_method, offline_method) in rows:  # fmt: skip
        household = _household(user_id, name)
        piece = f"L{entry_id}"
        money = kind in (EntryKind.PAYMENT, EntryKind.REFUND) or (
            kind == EntryKind.ADJUSTMENT
            and reference is not None
            and not reference.startswith(NOT_MONEY_PREFIXES)
        )
        if _settlement_of(reference) in carried:
            # A credit carried to another contract: no money moved, only the household's
            # credit, through a transit account that the two legs bring back to zero.
            transit = Side("580000")
            journal = "VE"
            debit, credit = (transit, household) if amount > 0 else (household, transit)
        elif money:
            journal, account = _payment_place(card_method or offline_method, reference)
            place = Side(account)
            # Money in: the bank (or till) is debited; money out: credited.
            debit, credit = (place, household) if amount > 0 else (household, place)
        else:
            other = _producer_side(producer_id, producer_name)
            journal = "VE"
            # The household owes more (commitment): its account is debited.
            debit, credit = (household, other) if amount < 0 else (other, household)
        entries.append(Entry(journal, on, piece, label, debit, credit, abs(amount)))
    return entries


def _remittance_entries(group_id: int, year: int) -> list[Entry]:
    rows = db.session.execute(
        select(Remittance.id, Remittance.kind, Remittance.remitted_on, Remittance.total_cents)
        .where(
            Remittance.group_id == group_id,
            Remittance.kind != RemittanceKind.PRODUCER.value,
            extract("year", Remittance.remitted_on) == year,
        )
        .order_by(Remittance.remitted_on, Remittance.id)
    )
    entries = []
    for remittance_id, kind, on, total in rows:
        source = "530000" if kind == RemittanceKind.CASH else "511200"
        label = (
            _("Remise d'espèces n° %(id)s", id=remittance_id)
            if kind == "cash"
            else _("Remise de chèques n° %(id)s", id=remittance_id)
        )
        entries.append(
            Entry("BQ", on, f"R{remittance_id}", label, Side("512000"), Side(source), total)
        )
    return entries


def _handed_over_entries(group_id: int, year: int) -> list[Entry]:
    rows = db.session.execute(
        select(
            OfflinePayment.id, OfflinePayment.method, OfflinePayment.handed_over_at,
            OfflinePayment.amount_cents, Producer.id, Producer.name,
        )
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(Producer, Producer.id == BasketOffer.producer_id)
        .where(
            OfflinePayment.group_id == group_id,
            OfflinePayment.state == OfflinePaymentState.HANDED_OVER.value,
        )
        .order_by(OfflinePayment.handed_over_at, OfflinePayment.id)
    )  # fmt: skip
    entries = []
    for payment_id, method, at, amount, producer_id, name in rows:
        on = paris_today(at)
        if on.year != year:
            continue
        source = "530000" if method == OfflineMethod.CASH else "511200"
        journal = "CA" if method == OfflineMethod.CASH else "BQ"
        label = _("Remis au producteur : %(name)s", name=name)
        entries.append(
            Entry(journal, on, f"O{payment_id}", label, _producer_side(producer_id, name),
                  Side(source), amount)
        )  # fmt: skip
    return entries


def _payout_entries(group_id: int, year: int) -> list[Entry]:
    rows = db.session.execute(
        select(Payout.id, Payout.paid_on, Payout.amount_cents, Payout.end_to_end_id,
               Producer.id, Producer.name)
        .join(Producer, Producer.id == Payout.producer_id)
        .where(Payout.group_id == group_id, extract("year", Payout.paid_on) == year)
        .order_by(Payout.paid_on, Payout.id)
    )  # fmt: skip
    return [
        Entry("BQ", on, reference, _("Virement à %(name)s", name=name),
              _producer_side(producer_id, name), Side("512000"), amount)
        for _id, on, amount, reference, producer_id, name in rows
    ]  # fmt: skip


def _fee_entries(group_id: int, year: int) -> list[Entry]:
    """What the payment provider kept of card and SEPA payments, out of the bank on the day
    the payment was booked: borne by the producer whose contract it paid (its account 467,
    as its statement deducts it), else by the association (627000, bank services)."""
    rows = db.session.execute(
        select(CardPayment.id, CardPayment.fee_cents, LedgerEntry.occurred_on, LedgerEntry.label,
               Producer.id, Producer.name)
        .join(LedgerEntry, LedgerEntry.id == CardPayment.ledger_entry_id)
        .outerjoin(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .outerjoin(Producer, Producer.id == BasketOffer.producer_id)
        .where(
            LedgerEntry.group_id == group_id,
            extract("year", LedgerEntry.occurred_on) == year,
            CardPayment.fee_cents > 0,
        )
        .order_by(LedgerEntry.occurred_on, CardPayment.id)
    )  # fmt: skip
    return [
        Entry("BQ", on, f"F{payment_id}", _("Frais de paiement : %(label)s", label=label),
              _producer_side(producer_id, name) if producer_id else Side("627000"),
              Side("512000"), fee)
        for payment_id, fee, on, label, producer_id, name in rows
    ]  # fmt: skip


def entries(group_id: int, year: int) -> list[Entry]:
    """Every entry of the group's year, in date order (five queries). Its words are French
    whatever the treasurer's language: ledger entries' stored French `label`, the others
    written here in French (a legal accounting file, read by a French accountant)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        found = (
            _ledger_entries(group_id, year)
            + _fee_entries(group_id, year)
            + _remittance_entries(group_id, year)
            + _handed_over_entries(group_id, year)
            + _payout_entries(group_id, year)
        )
    return sorted(found, key=lambda entry: (entry.on, entry.journal))


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def rows(group_id: int, year: int) -> list[list[str]]:
    """The FEC lines (without the header): two per entry, numbered per journal in date order."""
    numbers = dict.fromkeys(JOURNALS, 0)
    lines = []
    for entry in entries(group_id, year):
        numbers[entry.journal] += 1
        number = f"{entry.journal}{numbers[entry.journal]:06d}"
        day = entry.on.strftime("%Y%m%d")
        for side, debit, credit in (
            (entry.debit, entry.amount_cents, 0),
            (entry.credit, 0, entry.amount_cents),
        ):
            lines.append([
                entry.journal, JOURNALS[entry.journal], number, day, side.account,
                ACCOUNTS[side.account], side.aux_num, _clean(side.aux_lib), entry.piece, day,
                _clean(entry.label)[:200], _amount(debit), _amount(credit), "", "", day, "", "",
            ])  # fmt: skip
    return lines


def fec_file(group_id: int, year: int) -> bytes:
    """The FEC as the administration reads it: ISO 8859-15, tab-separated, CRLF lines."""
    text = "\r\n".join("\t".join(line) for line in [list(COLUMNS), *rows(group_id, year)])
    return (text + "\r\n").encode("iso-8859-15", errors="replace")


def accountant_csv(group_id: int, year: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    writer.writerows(rows(group_id, year))
    return out.getvalue()
