"""Reading a bank statement: camt.053.001.02 XML, or a CSV with date, amount, label and
reference columns. Pure: bytes in, lines out, DomainError for anything unreadable.

The XML is parsed by defusedxml with DTDs forbidden: no external entity, no entity
expansion, no network. The upload is bounded in size and in lines before it is read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element  # noqa: S405 - only the type; parsing is defused

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import gettext as _

from marketplace.errors import DomainError

MAX_STATEMENT_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


@dataclass(frozen=True)
class ParsedLine:
    entry_reference: str
    booked_on: date
    amount_cents: int  # credits positive, debits negative
    label: str
    reference: str
    return_code: str = ""


def _too_big() -> DomainError:
    return DomainError(
        _("Le relevé est trop gros (%(size)d Mo au plus).", size=MAX_STATEMENT_BYTES // 2**20),
        field="statement",
    )


def parse(data: bytes, filename: str) -> list[ParsedLine]:
    if len(data) > MAX_STATEMENT_BYTES:
        raise _too_big()
    if filename.lower().endswith(".xml") or data.lstrip()[:1] == b"<":
        lines = parse_camt(data)
    else:
        lines = parse_csv(data)
    if not lines:
        raise DomainError(_("Ce relevé ne contient aucune opération."), field="statement")
    return lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: Element | None, *path: str) -> Element | None:
    for name in path:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _text(element: Element | None, *path: str) -> str:
    found = _find(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _cents(text: str) -> int:
    try:
        amount = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    if amount != amount.quantize(Decimal("0.01")) or abs(amount) > Decimal("10000000"):
        raise ValueError(text)
    return int(amount * 100)


def _unreadable_xml() -> DomainError:
    return DomainError(
        _(
            "Ce fichier n'est pas un relevé camt.053 lisible : "
            "exportez-le à nouveau depuis la banque."
        ),
        field="statement",
    )


def parse_camt(data: bytes) -> list[ParsedLine]:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise _unreadable_xml() from None
    statement = _find(root, "BkToCstmrStmt")
    if _local(root.tag) != "Document" or statement is None:
        raise _unreadable_xml()
    lines: list[ParsedLine] = []
    for stmt in (child for child in statement if _local(child.tag) == "Stmt"):
        for position, entry in enumerate(child for child in stmt if _local(child.tag) == "Ntry"):
            if len(lines) >= MAX_LINES:
                raise _too_big()
            lines.append(_entry(stmt, entry, position))
    return lines


def _entry(stmt: Element, entry: Element, position: int) -> ParsedLine:
    try:
        cents = _cents(_text(entry, "Amt"))
        booked = date.fromisoformat(
            (_text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm"))[:10]
        )
    except ValueError:
        raise _unreadable_xml() from None
    if cents == 0:
        raise _unreadable_xml()
    if _text(entry, "CdtDbtInd") == "DBIT":
        cents = -cents
    transaction = _find(entry, "NtryDtls", "TxDtls")
    reference = (
        _text(transaction, "Refs", "EndToEndId")
        or _text(transaction, "Refs", "PmtInfId")
        or _text(transaction, "Refs", "MsgId")
        or _text(transaction, "RmtInf", "Ustrd")
        or _text(entry, "NtryRef")
    )
    if reference == "NOTPROVIDED":
        reference = _text(transaction, "RmtInf", "Ustrd")
    label = _text(entry, "AddtlNtryInf") or _text(transaction, "RmtInf", "Ustrd")
    code = _text(transaction, "RtrInf", "Rsn", "Cd")
    own = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    if not own:
        own = "camt:" + _digest(_text(stmt, "Id"), str(position), str(cents), booked.isoformat())
    return ParsedLine(own[:120], booked, cents, label[:200], reference[:140], code[:4])


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _date(text: str) -> date:
    text = text.strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(text)


CSV_COLUMNS = ("date", "amount", "label", "reference")
CSV_ALIASES = {
    "montant": "amount",
    "libellé": "label",
    "libelle": "label",
    "référence": "reference",
}


def parse_csv(data: bytes) -> list[ParsedLine]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [
        CSV_ALIASES.get(name.strip().lower(), name.strip().lower()) for name in next(reader, [])
    ]
    if not set(CSV_COLUMNS) <= set(header):
        raise DomainError(
            _("Le fichier CSV doit avoir les colonnes date, amount, label et reference."),
            field="statement",
        )
    index = {name: header.index(name) for name in CSV_COLUMNS}
    lines: list[ParsedLine] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(lines) >= MAX_LINES:
            raise _too_big()
        try:
            values = {name: row[position].strip() for name, position in index.items()}
            booked, cents = _date(values["date"]), _cents(values["amount"])
        except (IndexError, ValueError):
            raise DomainError(
                _("La ligne %(line)d du fichier CSV est illisible.", line=number), field="statement"
            ) from None
        if cents == 0:
            continue
        key = _digest(booked.isoformat(), str(cents), values["label"], values["reference"])
        seen[key] = seen.get(key, 0) + 1  # the same movement twice in one file stays two
        lines.append(
            ParsedLine(
                f"csv:{key}:{seen[key]}",
                booked,
                cents,
                values["label"][:200],
                values["reference"][:140],
            )
        )
    return lines


TRANSFER_PATTERN = r"{slug}-(\d{{1,9}})-(\d{{1,4}})"


def transfer_reference(slug: str, text: str) -> tuple[int, int] | None:
    """(subscription id, sequence) of a transfer's reference SLUG-subscription-sequence."""
    found = re.search(TRANSFER_PATTERN.format(slug=re.escape(slug.upper())), text.upper())
    return (int(found.group(1)), int(found.group(2))) if found else None
