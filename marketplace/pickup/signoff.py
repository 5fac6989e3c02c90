"""Reading a day for paper and for the coordinator: the printable sign-off sheet (feuille
d'émargement) and the report after closing.

Both start from the checklist's lines (pickup.roster.household_lines: three queries whatever
the number of households) and add a constant number of queries. No tier or price is read for
the sheet; the report's credits are shown to coordinators only (the view decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
)
from marketplace.catalogue.models import MILLI, Availability, Product
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments.entry_words import label_text
from marketplace.payments.models import LedgerEntry
from marketplace.pickup import roster
from marketplace.pickup.closing import credit_reference_prefix
from marketplace.pickup.models import DonatedItem
from marketplace.shop.models import OrderLine

# --- The sign-off sheet ------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetColumn:
    key: tuple[str, ...]
    title: str  # the size or product
    producer: str
    unit: str | None = None  # a catalogue Unit for products; None for baskets


@dataclass
class SheetRow:
    name: str
    basket_cells: list[int | None]  # baskets to hand over per basket column
    extra_cells: list[int | None]  # thousandths of the unit per product column
    note: str = ""


@dataclass
class SignoffSheet:
    basket_columns: list[SheetColumn]
    extra_columns: list[SheetColumn]
    rows: list[SheetRow]
    basket_totals: list[int]
    extra_totals: list[int]


def _basket_key(basket: roster.BasketItem) -> tuple[str, ...]:
    return (basket.producer_name, basket.offer_name, basket.size_name)


def _extra_key(extra: roster.ExtraItem) -> tuple[str, ...]:
    return (extra.producer_name, extra.product_name, extra.unit)


def signoff_sheet(distribution_day_id: int) -> SignoffSheet:
    """One row per household (or basket given to a friend), one column per basket size and
    per extra product, in the checklist's order (households by name)."""
    lines = roster.household_lines(distribution_day_id)
    basket_columns: dict[tuple, SheetColumn] = {}
    extra_columns: dict[tuple, SheetColumn] = {}
    for line in lines:
        for basket in line.baskets:
            key = _basket_key(basket)
            basket_columns.setdefault(key, SheetColumn(key, basket.size_name, basket.producer_name))
        for extra in line.extras:
            key = _extra_key(extra)
            extra_columns.setdefault(
                key, SheetColumn(key, extra.product_name, extra.producer_name, extra.unit)
            )
    baskets = sorted(basket_columns.values(), key=lambda c: [roster.sort_key(p) for p in c.key])
    extras = sorted(extra_columns.values(), key=lambda c: [roster.sort_key(p) for p in c.key])
    basket_index = {column.key: i for i, column in enumerate(baskets)}
    extra_index = {column.key: i for i, column in enumerate(extras)}

    rows = []
    basket_totals = [0] * len(baskets)
    extra_totals = [0] * len(extras)
    for line in lines:
        basket_cells: list[int | None] = [None] * len(baskets)
        extra_cells: list[int | None] = [None] * len(extras)
        for basket in line.baskets:
            i = basket_index[_basket_key(basket)]
            basket_cells[i] = (basket_cells[i] or 0) + basket.quantity
            basket_totals[i] += basket.quantity
        for extra in line.extras:
            i = extra_index[_extra_key(extra)]
            extra_cells[i] = (extra_cells[i] or 0) + extra.quantity_milli
            extra_totals[i] += extra.quantity_milli
        rows.append(SheetRow(line.name, basket_cells, extra_cells, line.note))
    return SignoffSheet(baskets, extras, rows, basket_totals, extra_totals)


# --- The report after closing ------------------------------------------------------------------


@dataclass
class ReportRow:
    label: str
    unit: str | None = None  # None: baskets, counted in whole baskets
    expected: int = 0
    collected: int = 0
    donated: int = 0

    @property
    def not_collected(self) -> int:
        return self.expected - self.collected


@dataclass
class CreditLine:
    household: str
    amount_cents: int
    label: str


@dataclass
class DayReport:
    baskets: list[ReportRow]
    products: list[ReportRow]
    credits: list[CreditLine]
    notes: list[tuple[str, str]]  # (household, note)
    absent_donated: int  # baskets of absent households given to the grocery
    households: int
    households_collected: int
    credited_cents: int = field(init=False)

    def __post_init__(self) -> None:
        self.credited_cents = sum(credit.amount_cents for credit in self.credits)


def day_report(day: DistributionDay) -> DayReport:
    distribution_day_id = day.id
    lines = roster.household_lines(distribution_day_id)
    counts = roster.day_counts(lines)
    baskets = {
        row.label: ReportRow(row.label, None, row.expected, row.collected) for row in counts.baskets
    }
    products = {
        (row.label, row.unit): ReportRow(row.label, row.unit, row.expected, row.collected)
        for row in counts.products
    }
    absent_donated = 0
    for quantity_milli, size_name, producer_name, state in _donated_baskets(distribution_day_id):
        label = f"{size_name} — {producer_name}"
        row = baskets.setdefault(label, ReportRow(label))
        quantity = quantity_milli // MILLI
        row.donated += quantity
        if state == DeliveryState.ABSENT.value:
            absent_donated += quantity
        else:  # not collected, then donated: it was expected and is no longer on the list
            row.expected += quantity
    for quantity_milli, product_name, producer_name, unit in _donated_extras(distribution_day_id):
        label = f"{product_name} — {producer_name}"
        row = products.setdefault((label, unit), ReportRow(label, unit))
        row.donated += quantity_milli
    collected = sum(1 for line in lines if line.state == roster.COLLECTED)
    return DayReport(
        baskets=sorted(baskets.values(), key=lambda row: roster.sort_key(row.label)),
        products=sorted(products.values(), key=lambda row: roster.sort_key(row.label)),
        credits=_credits(day),
        notes=[(line.name, line.note) for line in lines if line.note],
        absent_donated=absent_donated,
        households=len(lines),
        households_collected=collected,
    )


def _donated_baskets(distribution_day_id: int):
    producer = aliased(Organisation)
    return db.session.execute(
        select(DonatedItem.quantity_milli, BasketSize.name, producer.name, Delivery.state)
        .join(Delivery, Delivery.id == DonatedItem.delivery_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(producer, producer.id == BasketOffer.producer_id)
        .where(DonatedItem.distribution_day_id == distribution_day_id)
    ).all()


def _donated_extras(distribution_day_id: int):
    producer = aliased(Organisation)
    return db.session.execute(
        select(DonatedItem.quantity_milli, Product.name, producer.name, Product.unit)
        .join(OrderLine, OrderLine.id == DonatedItem.order_line_id)
        .join(Availability, Availability.id == OrderLine.availability_id)
        .join(Product, Product.id == Availability.product_id)
        .join(producer, producer.id == Product.producer_id)
        .where(DonatedItem.distribution_day_id == distribution_day_id)
    ).all()


def _credits(day: DistributionDay) -> list[CreditLine]:
    rows = db.session.execute(
        select(
            User.name,
            LedgerEntry.amount_cents,
            LedgerEntry.label,
            LedgerEntry.label_key,
            LedgerEntry.label_params,
        )
        .join(User, User.id == LedgerEntry.user_id)
        .where(
            LedgerEntry.group_id == day.group_id,
            LedgerEntry.external_reference.startswith(
                credit_reference_prefix(day.id), autoescape=True
            ),
        )
        .order_by(User.name, LedgerEntry.id)
    )
    return [
        CreditLine(name, amount, label_text(label, key, params))
        for name, amount, label, key, params in rows
    ]
