"""Issuing what is due and emailing each new document to its household, PDF attached.

After a sign-up (registered in `baskets.signup_followers`), and by the hourly job for
everything else: a failure on one row never stops the others, and what failed is issued on
the next run (documents are idempotent by their `source_key`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.baskets.models import Subscription
from marketplace.extensions import db
from marketplace.invoicing import memberships, pdf, sources
from marketplace.invoicing.models import Document, DocumentKind
from marketplace.mail import absolute_url, send_email


def email_document(document: Document) -> None:
    buyer = db.session.get(User, document.buyer_id)
    content = pdf.render(document)
    with force_locale(buyer.language if buyer else "fr"):
        if document.kind == DocumentKind.CREDIT_NOTE:
            subject = _("Votre avoir n° %(reference)s", reference=document.reference)
        else:
            subject = _("Votre facture n° %(reference)s", reference=document.reference)
        send_email(
            document.buyer_email,
            subject,
            "email/document_issued",
            attachments=[(pdf.filename(document), "application/pdf", content)],
            document=document,
            list_url=absolute_url("invoicing.mine"),
        )


def after_signup(subscription_id: int) -> None:
    """Issue the new season's documents, commit them, then email them."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        return
    documents = sources.issue_for_subscription(subscription)
    db.session.commit()
    for document in documents:
        email_document(document)
    db.session.commit()  # the emails wait in the outbox, sent once committed


@dataclass
class Outcome:
    issued: list[Document] = field(default_factory=list)
    failed: int = 0


def _each(outcome: Outcome, what: str, items, issue: Callable[[object], object]) -> None:
    for item in items:
        try:
            with db.session.begin_nested():
                result = issue(item)
        except Exception:  # one bad row never stops the run; it is tried again next time
            outcome.failed += 1
            current_app.logger.exception("Could not issue the document of %s %s", what, item)
            continue
        if isinstance(result, Document):
            outcome.issued.append(result)
        elif result:
            outcome.issued.extend(result)


def issue_missing(today: date, now) -> Outcome:
    """Every document that should exist and does not yet (idempotent); flushes, no commit."""
    outcome = Outcome()
    _each(outcome, "ledger entry", sources.undocumented_basket_entries(), sources.issue_for_entry)
    _each(outcome, "order", sources.orders_to_invoice(now), sources.issue_for_order)
    _each(
        outcome,
        "cancelled order's invoice",
        sources.cancelled_invoices(),
        lambda invoice: sources.credit_cancelled_invoice(invoice, today),
    )
    _each(
        outcome, "membership", memberships.paid_without_receipt(), memberships.issue_for_membership
    )
    return outcome


def send_all(documents: list[Document]) -> int:
    """Email each document; a failed email is logged (the household can download it)."""
    sent = 0
    for document in documents:
        try:
            email_document(document)
            sent += 1
        except Exception:
            current_app.logger.exception("Could not email document %s", document.reference)
    return sent
