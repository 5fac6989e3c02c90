"""What the shop pages read, each in a fixed number of queries whatever the catalogue's size.

The product list is one SELECT of plain columns (no ORM objects, never the photo bytes):
Open Food Network ran about eleven queries per product on the same page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, distinct, false, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.catalogue.models import Availability, Category, Product, ProductPhoto
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.shop.models import Order, OrderLine, OrderStatus

SHOPPER_ROLES = (Role.MEMBER.value, Role.COORDINATOR.value)


@dataclass(frozen=True)
class ShopFilters:
    search: str = ""
    producer_id: int | None = None
    category: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.search or self.producer_id or self.category)


def open_days(user: User, now: datetime) -> list[DistributionDay]:
    """Distribution days of the person's groups whose order window is open now."""
    return list(
        db.session.scalars(
            select(DistributionDay)
            .options(joinedload(DistributionDay.pickup_point), joinedload(DistributionDay.group))
            .where(
                DistributionDay.group_id.in_(
                    select(Membership.organisation_id).where(
                        Membership.user_id == user.id, Membership.role.in_(SHOPPER_ROLES)
                    )
                ),
                DistributionDay.status == DayStatus.SCHEDULED,
                DistributionDay.order_opens_at <= now,
                DistributionDay.order_closes_at > now,
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        ).unique()
    )


def shop_rows_query(
    day: DistributionDay, filters: ShopFilters = ShopFilters(), only_ids: list[int] | None = None
):
    """The day's published products as plain rows, by producer, category and name."""
    query = (
        select(
            Availability.id.label("availability_id"),
            Availability.product_id,
            Availability.price_cents,
            Availability.quantity_milli,
            Availability.reserved_milli,
            Availability.max_per_household_milli,
            Product.name,
            Product.category,
            Product.unit,
            Product.description,
            Product.labels,
            Organisation.id.label("producer_id"),
            Organisation.name.label("producer_name"),
            ProductPhoto.product_id.label("photo_product_id"),
        )
        .join(Product, Product.id == Availability.product_id)
        .join(Organisation, Organisation.id == Availability.producer_id)
        .outerjoin(ProductPhoto, ProductPhoto.product_id == Availability.product_id)
        .where(
            Availability.group_id == day.group_id,
            Availability.day == day.day,
            Availability.published.is_(True),
        )
        .order_by(Organisation.name, Product.category, Product.name, Availability.id)
    )
    if only_ids is not None:
        # false() rather than an empty IN: the database sees at once that no row can match.
        query = query.where(Availability.id.in_(only_ids) if only_ids else false())
    if filters.search:
        pattern = "%" + _escape_like(filters.search.strip().lower()) + "%"
        query = query.where(Product.name.ilike(pattern, escape="\\"))
    if filters.producer_id:
        query = query.where(Availability.producer_id == filters.producer_id)
    if filters.category:
        query = query.where(Product.category == filters.category)
    return query


def shop_rows(
    day: DistributionDay, filters: ShopFilters = ShopFilters(), only_ids: list[int] | None = None
) -> list[Row]:
    return list(db.session.execute(shop_rows_query(day, filters, only_ids)))


def shop_choices(day: DistributionDay) -> tuple[list[Row], list[str]]:
    """The producers and categories offered that day (for the filters), in one query."""
    rows = db.session.execute(
        select(distinct(Organisation.id), Organisation.name, Product.category)
        .select_from(Availability)
        .join(Product, Product.id == Availability.product_id)
        .join(Organisation, Organisation.id == Availability.producer_id)
        .where(
            Availability.group_id == day.group_id,
            Availability.day == day.day,
            Availability.published.is_(True),
        )
        .order_by(Organisation.name)
    ).all()
    producers: dict[int, str] = {}
    categories: set[str] = set()
    for producer_id, name, category in rows:
        producers[producer_id] = name
        categories.add(category)
    ordered = [code.value for code in Category if code.value in categories]
    return [(key, value) for key, value in producers.items()], ordered


def lines_with_products(order_ids: list[int]) -> list[OrderLine]:
    if not order_ids:
        return []
    return list(
        db.session.scalars(
            select(OrderLine)
            .options(
                joinedload(OrderLine.availability)
                .joinedload(Availability.product)
                .joinedload(Product.producer)
            )
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.id)
        )
    )


def my_orders(user: User) -> list[Order]:
    """The household's orders, the next distributions first, with their lines (3 queries)."""
    return list(
        db.session.scalars(
            select(Order)
            .options(
                joinedload(Order.distribution_day).joinedload(DistributionDay.pickup_point),
                joinedload(Order.distribution_day).joinedload(DistributionDay.group),
                selectinload(Order.lines)
                .joinedload(OrderLine.availability)
                .joinedload(Availability.product),
            )
            .join(Order.distribution_day)
            .where(Order.user_id == user.id, Order.grocery_id.is_(None))
            .order_by(DistributionDay.starts_at.desc(), Order.id.desc())
        ).unique()
    )


def own_order(order_id: int, user: User) -> Order | None:
    """The household's own order; anyone else's (or a grocery's purchase) is as if it did not
    exist."""
    return db.session.scalar(
        select(Order)
        .options(
            joinedload(Order.distribution_day).joinedload(DistributionDay.pickup_point),
            selectinload(Order.lines)
            .joinedload(OrderLine.availability)
            .joinedload(Availability.product)
            .joinedload(Product.producer),
        )
        .where(Order.id == order_id, Order.user_id == user.id, Order.grocery_id.is_(None))
    )


def live_order_quantities(user: User, day: DistributionDay) -> tuple[int | None, dict[int, int]]:
    """The household's live order id for the day and its quantities by availability (1 query)."""
    parameters = {"user_id": user.id, "day_id": day.id}
    rows = db.session.execute(_live_order_statement(), parameters).all()
    if not rows:
        return None, {}
    quantities = {row.availability_id: row.quantity_milli for row in rows if row.availability_id}
    return rows[0].id, quantities


@functools.cache
def _live_order_statement():
    """Built once: the shop page runs it on every visit."""
    return (
        select(Order.id, OrderLine.availability_id, OrderLine.quantity_milli)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.user_id == bindparam("user_id"),
            Order.distribution_day_id == bindparam("day_id"),
            Order.status == OrderStatus.PLACED,
            Order.grocery_id.is_(None),  # a grocery's purchase is on the grocery's pages
        )
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
