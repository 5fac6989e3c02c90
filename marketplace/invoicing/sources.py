"""What documents are issued for: a contract's season, a shop order, and their corrections.

A season's documents follow the household's ledger exactly: every entry that changes what it
owes for a producer's baskets (its sign-up commitment, days added later, credits for absences,
cancelled days or a cancelled subscription, and their corrections) gets one document of the
same amount, an invoice when the household owes more, a credit note on the season's first
invoice when it owes less. The solidarity fund's part of a reduced price, and pledged gifts
given back, are the fund's movements, not the household's purchase: they get none.
A shop order is invoiced once its order window has closed (its amount is final), one invoice
per producer; a cancelled order gets a credit note for each of its invoices.
Each document's `source_key` names what it was issued for, so nothing is issued twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import selectinload

from marketplace.baskets.models import Subscription
from marketplace.catalogue.models import Availability
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.invoicing.issuing import LineData, issue_document
from marketplace.invoicing.models import Document, DocumentKind
from marketplace.organisations.models import Organisation
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.models import EntryKind, FundMovement, Installment, LedgerEntry
from marketplace.payments.money import format_money
from marketplace.shop.models import Order, OrderLine, OrderStatus

BASKET_KINDS = (EntryKind.COMMITMENT.value, EntryKind.CREDIT.value, EntryKind.ADJUSTMENT.value)


def entry_key(entry_id: int) -> str:
    return f"entry:{entry_id}"


def basket_entries_condition():
    """Ledger entries that change what a household owes for a producer's baskets."""
    return (
        LedgerEntry.subscription_id.is_not(None)
        & LedgerEntry.kind.in_(BASKET_KINDS)
        & ~exists().where(FundMovement.ledger_entry_id == LedgerEntry.id)
    )


def documented(key_prefix: str, column):
    """A document exists whose source_key is the prefix and this row's id."""
    return exists().where(Document.source_key == literal(key_prefix) + cast(column, String))


def undocumented_basket_entries(subscription_id: int | None = None) -> list[LedgerEntry]:
    statement = (
        select(LedgerEntry)
        .where(basket_entries_condition(), ~documented("entry:", LedgerEntry.id))
        .order_by(LedgerEntry.id)
    )
    if subscription_id is not None:
        statement = statement.where(LedgerEntry.subscription_id == subscription_id)
    return list(db.session.scalars(statement))


def first_invoice(**where) -> Document | None:
    statement = select(Document).where(Document.kind == DocumentKind.INVOICE.value)
    for column, value in where.items():
        statement = statement.where(getattr(Document, column) == value)
    return db.session.scalars(statement.order_by(Document.id).limit(1)).first()


def schedule_terms(subscription: Subscription) -> str:
    """The payment schedule, as printed under the season's invoice (in French)."""
    installments = db.session.scalars(
        select(Installment)
        .where(Installment.subscription_id == subscription.id)
        .order_by(Installment.sequence)
    ).all()
    with force_locale("fr"):
        method = str(METHOD_LABELS.get(subscription.payment_method, subscription.payment_method))
        parts = [
            _(
                "%(amount)s le %(date)s",
                amount=format_money(installment.amount_cents),
                date=installment.due_on.strftime("%d/%m/%Y"),
            )
            for installment in installments
        ]
        if not parts:
            return _("Règlement : %(method)s.", method=method)
        return ngettext(
            "Règlement : %(method)s, en %(num)d échéance : %(list)s.",
            "Règlement : %(method)s, en %(num)d échéances : %(list)s.",
            len(parts),
            method=method,
            list=" ; ".join(parts),
        )


def issue_for_entry(entry: LedgerEntry) -> Document | None:
    """The document of one basket entry (None: a correction whose invoice is not issued yet)."""
    subscription = db.session.get(Subscription, entry.subscription_id)
    offer = subscription.offer
    owed = -entry.amount_cents
    label = f"{offer.name} — {subscription.size.name} : {entry.label}"[:200]
    line = LineData(label, abs(owed), subscription.size.vat_rate_bp)
    common = dict(
        seller=offer.producer,
        group=offer.group,
        buyer=entry.user,
        lines=[line],
        issued_on=entry.occurred_on,
        source_key=entry_key(entry.id),
        subscription_id=subscription.id,
    )
    if owed > 0:
        terms = schedule_terms(subscription) if entry.kind == EntryKind.COMMITMENT else ""
        return issue_document(**common, payment_terms=terms)
    corrected = first_invoice(subscription_id=subscription.id)
    if corrected is None:
        return None
    return issue_document(**common, kind=DocumentKind.CREDIT_NOTE, corrects=corrected)


def issue_for_subscription(subscription: Subscription) -> list[Document]:
    """Every missing document of one subscription (after its sign-up was booked)."""
    issued = []
    for entry in undocumented_basket_entries(subscription.id):
        document = issue_for_entry(entry)
        if document is not None:
            issued.append(document)
    return issued


def orders_to_invoice(now: datetime) -> list[Order]:
    """Households' placed orders whose window has closed and that have no invoice yet."""
    return list(
        db.session.scalars(
            select(Order)
            .join(DistributionDay, DistributionDay.id == Order.distribution_day_id)
            .where(
                Order.status == OrderStatus.PLACED.value,
                Order.grocery_id.is_(None),
                Order.total_cents > 0,
                DistributionDay.order_closes_at <= now,
                ~exists().where(Document.order_id == Order.id),
            )
            .options(selectinload(Order.lines).selectinload(OrderLine.availability))
            .order_by(Order.id)
        )
    )


def order_day(order: Order) -> date:
    return order.distribution_day.day


def issue_for_order(order: Order) -> list[Document]:
    """One invoice per producer of a final order (its lines at the prices charged)."""
    by_producer: dict[int, list[OrderLine]] = defaultdict(list)
    for line in order.lines:
        if line.total_cents > 0:
            by_producer[line.availability.producer_id].append(line)
    issued = []
    for producer_id, lines in sorted(by_producer.items()):
        availability: Availability = lines[0].availability
        producer = availability.product.producer
        issued.append(
            issue_document(
                seller=producer,
                group=order.distribution_day.group,
                buyer=order.user,
                lines=[
                    LineData(
                        line.availability.product.name,
                        line.total_cents,
                        line.availability.product.vat_rate_bp,
                        quantity_milli=line.quantity_milli,
                        unit_price_cents=line.unit_price_cents,
                    )
                    for line in lines
                ],
                issued_on=order_day(order),
                source_key=f"order:{order.id}:seller:{producer_id}",
                order_id=order.id,
                payment_terms=_terms_of_order(),
            )
        )
    return issued


def _terms_of_order() -> str:
    with force_locale("fr"):
        return _("Réglé ou à régler avec votre solde auprès du groupe, avant la distribution.")


def cancelled_invoices() -> list[Document]:
    """Invoices of orders cancelled after they were issued, with no credit note yet."""
    credit_note = select(Document.corrects_id).where(
        Document.kind == DocumentKind.CREDIT_NOTE.value, Document.corrects_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Document)
            .join(Order, Order.id == Document.order_id)
            .where(
                Document.kind == DocumentKind.INVOICE.value,
                Order.status == OrderStatus.CANCELLED.value,
                Document.id.not_in(credit_note),
            )
            .options(selectinload(Document.lines))
            .order_by(Document.id)
        )
    )


def credit_cancelled_invoice(invoice: Document, today: date) -> Document:
    order = db.session.get(Order, invoice.order_id)
    with force_locale("fr"):
        label = _("Commande annulée — facture %(reference)s", reference=invoice.reference)
    return issue_document(
        seller=db.session.get(Organisation, invoice.seller_id),
        group=order.distribution_day.group,
        buyer=order.user,
        lines=[
            LineData(f"{label} : {line.label}"[:200], line.total_cents, line.vat_rate_bp)
            for line in invoice.lines
        ],
        issued_on=today,
        kind=DocumentKind.CREDIT_NOTE,
        corrects=invoice,
        source_key=f"cancel:{invoice.id}",
        order_id=order.id,
    )
