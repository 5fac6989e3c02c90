"""The treasurer's books: every producer's invoices and credit notes agree with the ledger.

The simulation issues documents along the season (the hourly job's pass at 10:30, and once
more before the evening's check, as its next pass would), so at each check every document
that should exist does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from marketplace.baskets.models import BasketOffer, Subscription
from marketplace.catalogue.models import Availability
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.invoicing.models import Document, DocumentLine
from marketplace.organisations.models import Organisation
from marketplace.payments.models import FundMovement, LedgerEntry
from marketplace.shop.models import Order, OrderLine

if TYPE_CHECKING:
    from tests.simulation.invariants import CheckContext

BASKET_KINDS = ("commitment", "credit", "adjustment")


def producers_documents_equal_what_households_owe_them(ctx: CheckContext) -> list[str]:
    """For each producer P, Σ its invoices − Σ its credit notes (TTC, cents) =

        − Σ the ledger entries of kind commitment, credit or adjustment booked on the
          subscriptions of P's contracts, except those linked to a solidarity-fund movement
          (the fund's part of a reduced price and pledged gifts given back are the fund's,
          not the household's purchase of baskets)
        + Σ the lines of P's products in households' orders still placed whose order window
          has closed (their amount is final; the ledger holds −Σ lines for each, checked by
          orders_match_ledger_and_stock; an order cancelled after its invoice has a credit
          note of the same amount, so it counts 0 on both sides).

    Rows: also any basket entry without exactly one document of its amount, any document
    whose totals are not the sums of its lines, any issuer-year whose numbers are not
    exactly 1…n (none shared, none skipped).
    """
    found: list[str] = []
    signed = case(
        (Document.kind == "credit_note", -Document.total_cents), else_=Document.total_cents
    )
    # The producers' documents (a membership fee's receipt is the group's own sale).
    documents = dict(
        db.session.execute(
            select(Document.seller_id, func.sum(signed))
            .join(Organisation, Organisation.id == Document.seller_id)
            .where(Organisation.kind == "producer")
            .group_by(Document.seller_id)
        ).all()
    )
    basket_entry = (
        LedgerEntry.subscription_id.is_not(None)
        & LedgerEntry.kind.in_(BASKET_KINDS)
        & ~select(FundMovement.id).where(FundMovement.ledger_entry_id == LedgerEntry.id).exists()
    )
    owed = defaultdict(int)
    for producer_id, total in db.session.execute(
        select(BasketOffer.producer_id, func.sum(LedgerEntry.amount_cents))
        .join(Subscription, Subscription.id == LedgerEntry.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(basket_entry)
        .group_by(BasketOffer.producer_id)
    ):
        owed[producer_id] -= int(total)
    for producer_id, total in db.session.execute(
        select(Availability.producer_id, func.sum(OrderLine.total_cents))
        .join(OrderLine, OrderLine.availability_id == Availability.id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(DistributionDay, DistributionDay.id == Order.distribution_day_id)
        .where(
            Order.status == "placed",
            Order.grocery_id.is_(None),
            DistributionDay.order_closes_at <= ctx.now,
        )
        .group_by(Availability.producer_id)
    ):
        owed[producer_id] += int(total)
    for producer_id in sorted(set(owed) | set(documents)):
        if int(documents.get(producer_id, 0)) != owed[producer_id]:
            found.append(
                f"producer {producer_id}: documents {documents.get(producer_id, 0)} ≠ "
                f"owed per the ledger {owed[producer_id]}"
            )
    by_key = dict(
        db.session.execute(
            select(Document.source_key, func.count(Document.id)).group_by(Document.source_key)
        ).all()
    )
    for entry_id, amount in db.session.execute(
        select(LedgerEntry.id, LedgerEntry.amount_cents).where(basket_entry)
    ):
        count = by_key.get(f"entry:{entry_id}", 0)
        if count != 1:
            found.append(f"ledger entry {entry_id} ({amount}): {count} documents")
    for row in db.session.execute(
        select(
            Document.reference,
            Document.net_cents,
            Document.vat_cents,
            func.sum(DocumentLine.net_cents),
            func.sum(DocumentLine.vat_cents),
        )
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .group_by(Document.id, Document.reference, Document.net_cents, Document.vat_cents)
    ):
        if (row[1], row[2]) != (int(row[3]), int(row[4])):
            found.append(f"document {row[0]}: totals {row[1]}+{row[2]} ≠ lines {row[3]}+{row[4]}")
    for issuer_id, year, count, highest in db.session.execute(
        select(
            Document.issuer_id,
            Document.year,
            func.count(func.distinct(Document.number)),
            func.max(Document.number),
        ).group_by(Document.issuer_id, Document.year)
    ):
        if count != highest:
            found.append(f"issuer {issuer_id} in {year}: {count} numbers up to {highest}")
    return found
