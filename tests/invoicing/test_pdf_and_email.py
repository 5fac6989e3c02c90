"""What the PDFs say (credit notes, documents issued on a producer's behalf), the email's
attachment, and a sign-up that stands when issuing its invoice fails."""

from __future__ import annotations

import io

import pypdf
from sqlalchemy import func, select

from marketplace.baskets import signup_followers
from marketplace.extensions import db
from marketplace.invoicing import pdf
from marketplace.invoicing.issuing import LineData, issue_document
from marketplace.invoicing.models import Document, DocumentKind
from marketplace.mail import build_message
from marketplace.payments.models import LedgerEntry
from tests.baskets.test_subscribing_pages import form_data, url
from tests.invoicing.test_issuing import DAY, parties


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_credit_note_on_behalf_names_its_invoice_and_both_parties(app):
    group, producer, buyer = parties(vat_liable=False, by_group=True)
    common = dict(seller=producer, group=group, buyer=buyer, issued_on=DAY)
    invoice = issue_document(**common, lines=[LineData("Panier « grand » × 4", 8_000, 550)])
    note = issue_document(
        **common,
        lines=[LineData("Panier absent", 2_000, 550)],
        kind=DocumentKind.CREDIT_NOTE,
        corrects=invoice,
    )
    text = text_of(pdf.render(note))
    assert f"Avoir n° {note.reference}" in text
    assert f"Avoir sur la facture n° {invoice.reference} du 04/05/2026" in text
    assert "au nom et pour le compte de EARL du Pré" in text
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert pdf.filename(note) == f"avoir-{note.reference}.pdf"


def test_an_email_carries_its_attachment(app):
    with app.test_request_context():
        message = build_message(
            "a@example.org",
            "Facture",
            "Bonjour",
            attachments=[("f.pdf", "application/pdf", b"%PDF-1")],
        )
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "f.pdf"
    assert attachment.get_content() == b"%PDF-1"


def test_a_sign_up_stands_when_its_invoice_fails_and_the_job_issues_it(
    client, scenario, monkeypatch
):
    def broken(subscription_id: int) -> None:
        raise RuntimeError("the PDF could not be made")

    monkeypatch.setitem(signup_followers._after_signup, "invoicing", broken)
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(LedgerEntry.id))) >= 1
    assert db.session.scalar(select(func.count(Document.id))) == 0
    from marketplace.db import utcnow
    from marketplace.invoicing.sending import issue_missing
    from marketplace.timezones import paris_today

    [invoice] = issue_missing(paris_today(), utcnow()).issued
    assert invoice.kind == DocumentKind.INVOICE
