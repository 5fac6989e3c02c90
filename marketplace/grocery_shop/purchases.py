"""A grocery buys from the producers' weekly availability, like one household of a group.

The purchase itself is a shop Order with `grocery_id` set (shop/ordering.py places, changes and
cancels it: same stock guarantee, same order window, no ledger entry). This module reads what
the grocery's pages show, and enters a collected purchase into the grocery's stock: each order
line becomes one StockItem, once (the unique `order_line_id` holds it even on a double submit).

Services: typed arguments, flush, never commit, never read `request`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from marketplace.catalogue.models import Availability, Product
from marketplace.catalogue.quantities import format_quantity
from marketplace.delivery.models import DayStatus, DistributionDay, PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, StockSource
from marketplace.grocery_shop.stock_receiving import MAX_PRICE_CENTS, parse_stock_quantity
from marketplace.groups.models import Group
from marketplace.shop.models import Order, OrderLine, OrderStatus, PickupState


@dataclass(frozen=True)
class OpenDay:
    """A distribution the grocery may buy for now: its window is open and producers offer."""

    distribution_day_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    order_closes_at: datetime
    group_name: str
    point_name: str
    point_city: str
    purchase_id: int | None  # the grocery's live purchase of that day, if any


@dataclass(frozen=True)
class PurchaseSummary:
    """One of the grocery's live purchases, for its list."""

    order_id: int
    distribution_day_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    order_closes_at: datetime
    group_name: str
    point_name: str
    total_cents: int
    pickup_state: str
    lines: int
    lines_in_stock: int

    def window_open(self, now: datetime) -> bool:
        return now < self.order_closes_at

    def receivable(self, now: datetime) -> bool:
        return _receivable(self.ends_at, self.pickup_state, now)

    @property
    def in_stock(self) -> bool:
        return self.lines_in_stock >= self.lines


@dataclass(frozen=True)
class LineReceipt:
    """What staff typed for one line: the quantity received and its shelf price per unit."""

    quantity_text: str
    shelf_price_cents: int | None


def quantity_field(line_id: int) -> str:
    return f"l{line_id}-quantity"


def price_field(line_id: int) -> str:
    return f"l{line_id}-shelf_price"


# --- reading ------------------------------------------------------------------------------------


def open_days(grocery_id: int, now: datetime) -> list[OpenDay]:
    """Distribution days of every group of the territory whose order window is open now and
    for which a producer has published availability, soonest first (one query)."""
    offered = exists().where(
        Availability.group_id == DistributionDay.group_id,
        Availability.day == DistributionDay.day,
        Availability.published.is_(True),
    )
    rows = db.session.execute(
        select(
            DistributionDay.id,
            DistributionDay.day,
            DistributionDay.starts_at,
            DistributionDay.ends_at,
            DistributionDay.order_closes_at,
            Group.name,
            PickupPoint.name,
            PickupPoint.city,
            Order.id,
        )
        .join(Group, Group.id == DistributionDay.group_id)
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .outerjoin(
            Order,
            (Order.distribution_day_id == DistributionDay.id)
            & (Order.grocery_id == grocery_id)
            & (Order.status == OrderStatus.PLACED.value),
        )
        .where(
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.order_opens_at <= now,
            DistributionDay.order_closes_at > now,
            offered,
        )
        .order_by(DistributionDay.starts_at, Group.name, PickupPoint.name)
    ).all()
    return [OpenDay(*row) for row in rows]


def live_purchases(grocery_id: int, now: datetime) -> list[PurchaseSummary]:
    """The grocery's live purchases still to collect or to enter into the stock: the ones
    still open to changes first, then those waiting for the day, then those to enter into
    the stock (one query)."""
    line_count = (
        select(func.count(OrderLine.id)).where(OrderLine.order_id == Order.id).scalar_subquery()
    )
    stocked_count = (
        select(func.count(StockItem.id))
        .join(OrderLine, OrderLine.id == StockItem.order_line_id)
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Order.id,
            DistributionDay.id,
            DistributionDay.day,
            DistributionDay.starts_at,
            DistributionDay.ends_at,
            DistributionDay.order_closes_at,
            Group.name,
            PickupPoint.name,
            Order.total_cents,
            Order.pickup_state,
            line_count,
            stocked_count,
        )
        .join(DistributionDay, DistributionDay.id == Order.distribution_day_id)
        .join(Group, Group.id == DistributionDay.group_id)
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .where(
            Order.grocery_id == grocery_id,
            Order.status == OrderStatus.PLACED.value,
            line_count > stocked_count,
        )
        .order_by(DistributionDay.starts_at, Order.id)
    ).all()
    purchases = [PurchaseSummary(*row) for row in rows]

    def rank(purchase: PurchaseSummary) -> int:
        if purchase.receivable(now):  # collected already: nothing left to change
            return 2
        return 0 if purchase.window_open(now) else 1

    return sorted(purchases, key=rank)  # stable: by date within each group


def purchase_of(grocery_id: int, order_id: int) -> Order | None:
    """The grocery's purchase with its day, point and lines' products (another's is None)."""
    return db.session.scalar(
        select(Order)
        .options(
            joinedload(Order.distribution_day).joinedload(DistributionDay.pickup_point),
            joinedload(Order.distribution_day).joinedload(DistributionDay.group),
            selectinload(Order.lines)
            .joinedload(OrderLine.availability)
            .joinedload(Availability.product)
            .joinedload(Product.producer),
        )
        .where(Order.id == order_id, Order.grocery_id == grocery_id)
    )


def day_for_purchase(day_id: int) -> DistributionDay | None:
    """A distribution day with its group and pickup point (the pages name them)."""
    return db.session.scalar(
        select(DistributionDay)
        .options(joinedload(DistributionDay.group), joinedload(DistributionDay.pickup_point))
        .where(DistributionDay.id == day_id)
    )


def stocked_line_ids(order: Order) -> set[int]:
    """The order's lines already in the stock."""
    ids = [line.id for line in order.lines]
    if not ids:
        return set()
    return set(
        db.session.scalars(select(StockItem.order_line_id).where(StockItem.order_line_id.in_(ids)))
    )


def receivable(order: Order, now: datetime) -> bool:
    """The goods are in the grocery's hands: the distribution is over, or they were ticked
    collected on the day's checklist."""
    return order.status == OrderStatus.PLACED and _receivable(
        order.distribution_day.ends_at, order.pickup_state, now
    )


def _receivable(ends_at: datetime, pickup_state: str, now: datetime) -> bool:
    return pickup_state == PickupState.COLLECTED.value or ends_at <= now


# --- entering a purchase into the stock ---------------------------------------------------------


def receive_purchase(
    order: Order,
    receipts: Mapping[int, LineReceipt],
    *,
    received_on: date,
    now: datetime,
) -> list[StockItem]:
    """Each line not yet in the stock becomes one StockItem (source purchase) with the quantity
    received (at most the one ordered) and its shelf price. Refused as a whole on any error."""
    if order.status != OrderStatus.PLACED:
        raise DomainError(_("Cet achat est annulé."))
    if not receivable(order, now):
        raise DomainError(
            _(
                "Cet achat pourra entrer en stock après la distribution du %(date)s.",
                date=format_date(order.distribution_day.day, "long"),
            )
        )
    done = stocked_line_ids(order)
    waiting = [line for line in order.lines if line.id not in done]
    if not waiting:
        raise DomainError(_already_in_stock())
    items = []
    for line in waiting:
        product = line.availability.product
        receipt = receipts.get(line.id) or LineReceipt("", None)
        quantity = _received_quantity(receipt.quantity_text, product.unit, line.id)
        if quantity > line.quantity_milli:
            raise DomainError(
                _(
                    "Plus que la quantité achetée (%(ordered)s) : indiquez ce qui a été reçu.",
                    ordered=format_quantity(line.quantity_milli, product.unit),
                ),
                field=quantity_field(line.id),
            )
        items.append(
            StockItem(
                grocery_id=order.grocery_id,
                name=product.name,
                category=product.category,
                unit=product.unit,
                quantity_milli=quantity,
                reserved_milli=0,
                shelf_price_cents=_checked_price(receipt.shelf_price_cents, line.id),
                source=StockSource.PURCHASE.value,
                producer_id=line.availability.producer_id,
                product_id=product.id,
                order_line_id=line.id,
                received_on=received_on,
            )
        )
    try:
        # A savepoint: a second submit racing this one hits the unique order_line_id; only
        # these rows are undone and the caller gets words instead of an IntegrityError.
        with db.session.begin_nested():
            db.session.add_all(items)
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_already_in_stock()) from error
    return items


def _already_in_stock() -> str:
    return _("Cet achat est déjà entré en stock.")


def _received_quantity(text: str, unit: str, line_id: int) -> int:
    """0 is allowed: nothing of it came (the line is then settled with an empty lot)."""
    try:
        return parse_stock_quantity(text, unit, allow_zero=True)
    except DomainError as error:
        raise DomainError(error.message, quantity_field(line_id)) from error


def _checked_price(cents: int | None, line_id: int) -> int:
    field = price_field(line_id)
    if cents is None:
        raise DomainError(
            _("Indiquez le prix en rayon (0 pour un produit donné gratuitement)."), field
        )
    if cents < 0:
        raise DomainError(_("Le prix ne peut pas être négatif."), field)
    if cents > MAX_PRICE_CENTS:
        raise DomainError(_("Ce prix est bien trop élevé."), field)
    return cents
