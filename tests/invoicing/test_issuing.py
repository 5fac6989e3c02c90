"""Issuing documents: numbers without gaps per issuer and year, exact VAT, never changed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.invoicing.issuing import LineData, issue_document
from marketplace.invoicing.models import (
    Document,
    DocumentKind,
    DocumentsIssuedBy,
    ImmutableDocumentError,
    LegalIdentity,
)
from tests import factories

DAY = date(2026, 5, 4)


def parties(*, vat_liable: bool = True, by_group: bool = False):
    group = factories.GroupFactory()
    producer = factories.ProducerFactory()
    db.session.add(
        LegalIdentity(
            organisation_id=producer.id,
            legal_name="EARL du Pré",
            address="1 chemin du Pré, 26000 Valence",
            siret="12345678200010" if vat_liable else "",
            vat_number="FR11123456782" if vat_liable else "",
            vat_liable=vat_liable,
            documents_issued_by=DocumentsIssuedBy.GROUP if by_group else DocumentsIssuedBy.SELF,
        )
    )
    buyer = factories.UserFactory()
    db.session.flush()
    return group, producer, buyer


def issue(group, producer, buyer, lines=None, **kwargs) -> Document:
    return issue_document(
        seller=producer,
        group=group,
        buyer=buyer,
        lines=[LineData("Panier légumes × 10", 15_000, 550)] if lines is None else lines,
        issued_on=kwargs.pop("issued_on", DAY),
        **kwargs,
    )


def test_numbers_follow_each_other_per_issuer_and_year(app):
    group, producer, buyer = parties()
    first, second = issue(group, producer, buyer), issue(group, producer, buyer)
    next_year = issue(group, producer, buyer, issued_on=date(2027, 1, 2))
    other = issue(group, factories.ProducerFactory(), buyer)
    assert (first.reference, second.reference) == ("2026-000001", "2026-000002")
    assert next_year.reference == "2027-000001"
    assert other.reference == "2026-000001" and other.issuer_id != first.issuer_id


def test_vat_is_split_per_line_and_the_totals_add_up_to_the_cent(app):
    group, producer, buyer = parties()
    lines = [
        LineData("Œufs", 333, 550),
        LineData("Jus de pomme", 1_001, 550),
        LineData("Vin", 1_299, 2000),
        LineData("Plant", 199, 1000),
    ]
    document = issue(group, producer, buyer, lines)
    assert [line.net_cents + line.vat_cents for line in document.lines] == [333, 1001, 1299, 199]
    assert document.total_cents == 333 + 1_001 + 1_299 + 199
    assert document.net_cents == sum(line.net_cents for line in document.lines)
    assert document.vat_cents == sum(line.vat_cents for line in document.lines)
    assert document.lines[2].net_cents == 1083  # 1299 / 1,2 = 1082,5 → 1083


def test_a_seller_without_vat_prints_no_vat(app):
    group, producer, buyer = parties(vat_liable=False)
    document = issue(group, producer, buyer)
    assert document.vat_cents == 0 and document.lines[0].vat_rate_bp == 0
    assert not document.seller_vat_liable


def test_the_group_numbers_the_documents_of_a_producer_it_issues_for(app):
    group, producer, buyer = parties(by_group=True)
    document = issue(group, producer, buyer)
    assert document.issuer_id == group.id and document.seller_id == producer.id
    assert document.on_behalf


def test_one_source_is_issued_once(app):
    group, producer, buyer = parties()
    first = issue(group, producer, buyer, source_key="entry:1")
    again = issue(group, producer, buyer, source_key="entry:1")
    assert again.id == first.id
    assert db.session.scalar(select(db.func.count(Document.id))) == 1


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [LineData("", 100, 550)],
        [LineData("Panier", 0, 550)],
        [LineData("Panier", -5, 550)],
        [LineData("Panier", 100, 700)],
        [LineData("x" * 201, 100, 550)],
    ],
)
def test_bad_lines_are_refused_and_no_number_is_taken(app, lines):
    group, producer, buyer = parties()
    with pytest.raises(DomainError):
        issue(group, producer, buyer, lines)
    assert issue(group, producer, buyer).number == 1


def test_a_credit_note_names_the_invoice_it_corrects(app):
    group, producer, buyer = parties()
    invoice = issue(group, producer, buyer)
    with pytest.raises(DomainError):
        issue(group, producer, buyer, kind=DocumentKind.CREDIT_NOTE)
    note = issue(
        group,
        producer,
        buyer,
        [LineData("Panier absent", 1_500, 550)],
        kind=DocumentKind.CREDIT_NOTE,
        corrects=invoice,
    )
    assert note.corrects_id == invoice.id and note.reference == "2026-000002"
    with pytest.raises(DomainError):
        issue(group, producer, buyer, kind=DocumentKind.CREDIT_NOTE, corrects=note)


def test_an_issued_document_cannot_be_changed_nor_deleted(app):
    group, producer, buyer = parties()
    document = issue(group, producer, buyer)
    db.session.commit()
    document.total_cents = 1
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Document, document.id))
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    # Past the ORM too: the database itself refuses.
    with pytest.raises(DatabaseError):
        db.session.execute(update(Document).values(total_cents=1, net_cents=1, vat_cents=0))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE document_lines SET label = 'autre'"))
    db.session.rollback()
    assert db.session.get(Document, document.id).total_cents == 15_000
