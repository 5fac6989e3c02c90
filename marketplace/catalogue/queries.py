"""Reads of the catalogue shared by the producer's screens (and free for the shop and lists).

Each function runs one query, whatever the number of products or dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select

from marketplace.catalogue.models import Availability, Product, ProductPhoto
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.timezones import paris_today


@dataclass(frozen=True)
class ComingDate:
    """A coming distribution date of a group: every pickup point of the group shares its stock,
    which freezes when the first of that date's order windows closes."""

    day: date
    closes_at: datetime
    frozen: bool


def coming_dates(producer_id: int, group_id: int, now: datetime) -> list[ComingDate]:
    """The group's scheduled distribution dates from today on, if the producer supplies it
    (otherwise none), earliest first."""
    closes_at = func.min(DistributionDay.order_closes_at).label("closes_at")
    rows = db.session.execute(
        select(DistributionDay.day, closes_at)
        .join(
            ProducerSuppliesGroup,
            and_(
                ProducerSuppliesGroup.group_id == DistributionDay.group_id,
                ProducerSuppliesGroup.producer_id == producer_id,
            ),
        )
        .where(
            DistributionDay.group_id == group_id,
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.day >= paris_today(now),
        )
        .group_by(DistributionDay.day)
        .order_by(DistributionDay.day)
    )
    return [ComingDate(day=day, closes_at=closes, frozen=now >= closes) for day, closes in rows]


def supplied_groups(producer_id: int) -> list[Group]:
    """The groups the producer supplies, by name."""
    return list(
        db.session.scalars(
            select(Group)
            .join(ProducerSuppliesGroup, ProducerSuppliesGroup.group_id == Group.id)
            .where(ProducerSuppliesGroup.producer_id == producer_id)
            .order_by(Group.name)
        )
    )


def supplied_group_by_slug(producer_id: int, slug: str) -> Group | None:
    """The group named by `slug` if the producer supplies it."""
    return db.session.scalar(
        select(Group)
        .join(ProducerSuppliesGroup, ProducerSuppliesGroup.group_id == Group.id)
        .where(ProducerSuppliesGroup.producer_id == producer_id, Group.slug == slug)
    )


def producer_by_slug(slug: str) -> Producer | None:
    return db.session.scalar(select(Producer).where(Producer.slug == slug))


def catalogue_products(producer_id: int, *, archived: bool | None = False) -> list[Product]:
    """The producer's products by category then name (all of them when `archived` is None)."""
    statement = select(Product).where(Product.producer_id == producer_id)
    if archived is not None:
        statement = statement.where(Product.archived == archived)
    return list(db.session.scalars(statement.order_by(Product.category, Product.name)))


def product_of(producer_id: int, product_id: int) -> Product | None:
    """The product if it belongs to the producer's catalogue."""
    return db.session.scalar(
        select(Product).where(Product.id == product_id, Product.producer_id == producer_id)
    )


def photo_versions(product_ids: Iterable[int]) -> dict[int, int]:
    """product id → a version number of its photo (for cache-busting URLs), without loading
    the images themselves."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProductPhoto.product_id, ProductPhoto.updated_at).where(
            ProductPhoto.product_id.in_(ids)
        )
    )
    return {product_id: photo_version(updated_at) for product_id, updated_at in rows}


def photo_version(updated_at: datetime) -> int:
    return int(updated_at.timestamp() * 1000)


def availabilities_for(
    producer_id: int, group_id: int, days: Iterable[date]
) -> dict[tuple[int, date], Availability]:
    """(product id, date) → the producer's availability row for the group on those dates
    (published or withdrawn)."""
    days = list(days)
    if not days:
        return {}
    rows = db.session.scalars(
        select(Availability).where(
            Availability.producer_id == producer_id,
            Availability.group_id == group_id,
            Availability.day.in_(days),
        )
    )
    return {(row.product_id, row.day): row for row in rows}


def latest_published_day_before(producer_id: int, group_id: int, day: date) -> date | None:
    """The last date before `day` on which the producer offered something to the group."""
    return db.session.scalar(
        select(func.max(Availability.day)).where(
            Availability.producer_id == producer_id,
            Availability.group_id == group_id,
            Availability.published.is_(True),
            Availability.day < day,
        )
    )
