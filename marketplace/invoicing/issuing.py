"""Issuing a numbered document for any lines: the one way a document is written.

Numbers come from one counter row per issuer and year, locked (SELECT … FOR UPDATE) for the
rest of the transaction: two documents issued at the same instant are numbered one after the
other, and a transaction that rolls back gives its number back with its document, so the
sequence never skips nor repeats (the unique constraint on issuer, year and number stands
behind it). Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.invoicing.models import (
    VAT_RATES_BP,
    Document,
    DocumentCounter,
    DocumentKind,
    DocumentLine,
    DocumentsIssuedBy,
    LegalIdentity,
)
from marketplace.invoicing.vat import split_total
from marketplace.organisations.models import Organisation, OrganisationKind

MAX_LINES = 500
MAX_LINE_CENTS = 10_000_000  # 100 000 €: more is surely a typing slip


@dataclass(frozen=True)
class LineData:
    """A line as the household saw it: its total includes VAT."""

    label: str
    total_cents: int
    vat_rate_bp: int
    quantity_milli: int = 1000
    unit_price_cents: int | None = None  # None: the total for one unit


def identity_of(organisation_id: int) -> LegalIdentity | None:
    return db.session.get(LegalIdentity, organisation_id)


def issuer_for(seller: Organisation, group: Organisation) -> Organisation:
    """Who numbers the seller's documents: the seller, or the group on its behalf."""
    if seller.kind != OrganisationKind.PRODUCER:
        return seller
    identity = identity_of(seller.id)
    if identity is not None and identity.documents_issued_by == DocumentsIssuedBy.GROUP:
        return group
    return seller


def reference_of(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


def next_number(issuer_id: int, year: int) -> int:
    """Take the issuer's next number for the year, holding its counter row until commit."""
    dialect = db.session.get_bind().dialect.name
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.session.execute(
        dialect_insert(DocumentCounter)
        .values(issuer_id=issuer_id, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["issuer_id", "year"])
    )
    counter = db.session.scalars(
        select(DocumentCounter)
        .where(DocumentCounter.issuer_id == issuer_id, DocumentCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def existing_document(source_key: str) -> Document | None:
    return db.session.scalars(select(Document).where(Document.source_key == source_key)).first()


def _checked_lines(lines: Sequence[LineData], vat_liable: bool) -> list[LineData]:
    if not lines:
        raise DomainError(_l("Un document a au moins une ligne."))
    if len(lines) > MAX_LINES:
        raise DomainError(_l("Trop de lignes pour un seul document."))
    checked = []
    for line in lines:
        label = line.label.strip()
        if not label or len(label) > 200:
            raise DomainError(_l("Chaque ligne a un libellé de 1 à 200 caractères."))
        if not isinstance(line.total_cents, int) or not 0 < line.total_cents <= MAX_LINE_CENTS:
            raise DomainError(_l("Chaque ligne a un montant positif."))
        if line.vat_rate_bp not in VAT_RATES_BP:
            raise DomainError(_l("Le taux de TVA est 0, 5,5, 10 ou 20 %."))
        if line.quantity_milli <= 0:
            raise DomainError(_l("Chaque ligne a une quantité positive."))
        # A seller that charges no VAT (franchise en base) prints every line without VAT.
        rate = line.vat_rate_bp if vat_liable else 0
        unit = line.unit_price_cents
        if unit is None:
            unit = line.total_cents * 1000 // line.quantity_milli
        checked.append(LineData(label, line.total_cents, rate, line.quantity_milli, unit))
    return checked


def issue_document(
    *,
    seller: Organisation,
    group: Organisation,
    buyer: User,
    lines: Sequence[LineData],
    issued_on: date,
    kind: DocumentKind = DocumentKind.INVOICE,
    corrects: Document | None = None,
    source_key: str | None = None,
    subscription_id: int | None = None,
    order_id: int | None = None,
    payment_terms: str = "",
) -> Document:
    """Number and write a document; with a `source_key` already issued, that document."""
    if source_key is not None:
        already = existing_document(source_key)
        if already is not None:
            return already
    if (kind == DocumentKind.CREDIT_NOTE) != (corrects is not None):
        raise DomainError(_l("Un avoir corrige toujours un document émis, et lui seul."))
    if corrects is not None and corrects.kind != DocumentKind.INVOICE:
        raise DomainError(_l("Un avoir corrige une facture, pas un autre avoir."))
    identity = identity_of(seller.id)
    vat_liable = bool(identity and identity.vat_liable)
    checked = _checked_lines(lines, vat_liable)
    issuer = issuer_for(seller, group)
    issuer_identity = identity_of(issuer.id)
    number = next_number(issuer.id, issued_on.year)
    document = Document(
        kind=str(kind),
        issuer_id=issuer.id,
        year=issued_on.year,
        number=number,
        reference=reference_of(issued_on.year, number),
        issued_on=issued_on,
        seller_id=seller.id,
        group_id=group.id,
        buyer_id=buyer.id,
        corrects_id=corrects.id if corrects else None,
        subscription_id=subscription_id,
        order_id=order_id,
        source_key=source_key,
        issuer_name=(issuer_identity.legal_name if issuer_identity else "") or issuer.name,
        seller_name=(identity.legal_name if identity else "") or seller.name,
        seller_address=_address(seller, identity),
        seller_siret=identity.siret if identity else "",
        seller_vat_number=identity.vat_number if identity else "",
        seller_vat_liable=vat_liable,
        buyer_name=buyer.name,
        buyer_email=buyer.email,
        payment_terms=payment_terms[:1000],
        net_cents=0,
        vat_cents=0,
        total_cents=0,
    )
    net = vat = 0
    for position, line in enumerate(checked, start=1):
        split = split_total(line.total_cents, line.vat_rate_bp)
        net += split.net_cents
        vat += split.vat_cents
        document.lines.append(
            DocumentLine(
                position=position,
                label=line.label[:200],
                quantity_milli=line.quantity_milli,
                unit_price_cents=line.unit_price_cents or 0,
                vat_rate_bp=line.vat_rate_bp,
                net_cents=split.net_cents,
                vat_cents=split.vat_cents,
                total_cents=split.total_cents,
            )
        )
    # The totals are the sums of the lines: HT + TVA = TTC to the cent, on every line too.
    document.net_cents, document.vat_cents, document.total_cents = net, vat, net + vat
    db.session.add(document)
    db.session.flush()
    return document


def _address(organisation: Organisation, identity: LegalIdentity | None) -> str:
    if identity is not None and identity.address:
        return identity.address
    town = " ".join(part for part in (organisation.postcode, organisation.city) if part)
    return ", ".join(part for part in (organisation.address, town) if part)[:300]
