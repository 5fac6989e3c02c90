"""What a producer harvests, packs and brings for one group's distribution date.

A group's date may have several pickup points (one distribution day each); availabilities are
per group and date, shared by its points. Every list is a pure read in a constant number of
queries, whatever the number of products, orders and households: the rows are aggregated by
the database or fetched in one flat query and arranged here.

A solidarity grocery's purchase counts like a household's order; it is packed under the
grocery's name (with the staff member who placed it) and named on the harvest list.

Subscribed baskets count when they are still expected at the pickup (planned, given to
someone) or were brought there (collected or not): absent baskets (credited, or moved to a later
date whose quantity carries them) and donated ones are not prepared for the household.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
)
from marketplace.catalogue.models import Availability, Product
from marketplace.delivery.models import DayStatus, DistributionDay, PickupPoint
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Organisation
from marketplace.producers.models import ProducerSuppliesGroup
from marketplace.shop.models import Order, OrderLine, OrderStatus

COUNTED_DELIVERY_STATES = (
    DeliveryState.PLANNED.value,
    DeliveryState.GIVEN.value,
    DeliveryState.COLLECTED.value,
    DeliveryState.NOT_COLLECTED.value,
)
PAST_DAYS_LISTED = 21  # closed dates stay on the chooser for three weeks
WEEKS_AHEAD_LISTED = 6


@dataclass(frozen=True)
class ListDate:
    """A group's distribution date the producer takes part in, for the chooser."""

    group_id: int
    group_name: str
    day: date
    points: int
    closes_at: datetime  # when the last pickup point's order window closes

    def is_provisional(self, now: datetime) -> bool:
        return now < self.closes_at


@dataclass(frozen=True)
class DayPoint:
    """One pickup point's distribution on the date."""

    distribution_day_id: int
    pickup_point_id: int
    name: str
    address: str
    city: str
    starts_at: datetime
    ends_at: datetime
    order_closes_at: datetime


@dataclass(frozen=True)
class ListContext:
    """The producer, the group and the date a list is about, with its pickup points."""

    producer_id: int
    group: Group
    day: date
    points: list[DayPoint]

    def is_provisional(self, now: datetime) -> bool:
        """Orders are still open at one of the points: quantities may still change."""
        return any(now < point.order_closes_at for point in self.points)


@dataclass(frozen=True)
class ProductTotal:
    product_id: int
    name: str
    unit: str
    quantity_milli: int
    households: int = 0
    # Of which the solidarity groceries' purchases: (grocery's name, quantity), by name.
    groceries: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class BasketCount:
    offer_name: str
    size_name: str
    baskets: int


@dataclass(frozen=True)
class HarvestList:
    products: list[ProductTotal]
    baskets: list[BasketCount]

    @property
    def is_empty(self) -> bool:
        return not self.products and not self.baskets


@dataclass
class PackingHousehold:
    """One bag to pack: a household's extras and baskets, or a basket given to someone."""

    name: str
    on_behalf_of: str | None = None  # the subscriber, when the basket was given to `name`
    extras: list[ProductTotal] = field(default_factory=list)
    baskets: list[BasketCount] = field(default_factory=list)


@dataclass
class PackingPoint:
    point: DayPoint
    households: list[PackingHousehold] = field(default_factory=list)


@dataclass
class SheetPoint:
    """What to bring to one pickup point: baskets by size and extras by product."""

    point: DayPoint
    baskets: list[BasketCount] = field(default_factory=list)
    products: list[ProductTotal] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.products and not self.baskets


# --- choosing a date ---------------------------------------------------------------------------


def list_dates(producer_id: int, *, today: date) -> list[ListDate]:
    """The distribution dates of every group the producer supplies, from three weeks back to
    six weeks ahead, newest closed dates and coming ones together (one query)."""
    rows = db.session.execute(
        select(
            DistributionDay.group_id,
            Group.name,
            DistributionDay.day,
            func.count(DistributionDay.id),
            func.max(DistributionDay.order_closes_at),
        )
        .join(
            ProducerSuppliesGroup,
            (ProducerSuppliesGroup.group_id == DistributionDay.group_id)
            & (ProducerSuppliesGroup.producer_id == producer_id),
        )
        .join(Group, Group.id == DistributionDay.group_id)
        .where(
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.day >= today - timedelta(days=PAST_DAYS_LISTED),
            DistributionDay.day <= today + timedelta(weeks=WEEKS_AHEAD_LISTED),
        )
        .group_by(DistributionDay.group_id, Group.name, DistributionDay.day)
        .order_by(DistributionDay.day, Group.name)
    ).all()
    return [ListDate(*row) for row in rows]


def list_context(producer_id: int, group_id: int, day: date) -> ListContext | None:
    """None unless the producer supplies the group and the group distributes on that date."""
    group = db.session.scalar(
        select(Group)
        .join(ProducerSuppliesGroup, ProducerSuppliesGroup.group_id == Group.id)
        .where(Group.id == group_id, ProducerSuppliesGroup.producer_id == producer_id)
    )
    if group is None:
        return None
    rows = db.session.execute(
        select(
            DistributionDay.id,
            PickupPoint.id,
            PickupPoint.name,
            PickupPoint.address,
            PickupPoint.city,
            DistributionDay.starts_at,
            DistributionDay.ends_at,
            DistributionDay.order_closes_at,
        )
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .where(
            DistributionDay.group_id == group_id,
            DistributionDay.day == day,
            DistributionDay.status == DayStatus.SCHEDULED.value,
        )
        .order_by(DistributionDay.starts_at, PickupPoint.name)
    ).all()
    if not rows:
        return None
    return ListContext(producer_id, group, day, [DayPoint(*row) for row in rows])


# --- the three lists ---------------------------------------------------------------------------


def harvest_list(context: ListContext) -> HarvestList:
    """Totals per product for the whole date (with what the groceries bought of it) and
    subscribed baskets by size (three queries)."""
    product_rows = db.session.execute(
        _extras(context)
        .with_only_columns(
            Product.id,
            Product.name,
            Product.unit,
            func.sum(OrderLine.quantity_milli),
            func.count(func.distinct(Order.user_id)),
        )
        .group_by(Product.id, Product.name, Product.unit)
        .order_by(Product.name, Product.id)
    ).all()
    grocery_rows = db.session.execute(
        _extras(context)
        .with_only_columns(Product.id, Organisation.name, func.sum(OrderLine.quantity_milli))
        .join(Organisation, Organisation.id == Order.grocery_id)
        .group_by(Product.id, Organisation.id, Organisation.name)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    groceries: dict[int, list[tuple[str, int]]] = {}
    for product_id, grocery_name, quantity in grocery_rows:
        groceries.setdefault(product_id, []).append((grocery_name, int(quantity)))
    basket_rows = db.session.execute(
        _baskets(context)
        .with_only_columns(BasketOffer.name, BasketSize.name, func.sum(Delivery.quantity))
        .group_by(BasketOffer.id, BasketOffer.name, BasketSize.id, BasketSize.name)
        .order_by(BasketOffer.name, BasketSize.position, BasketSize.name)
    ).all()
    return HarvestList(
        products=[
            ProductTotal(pid, name, unit, int(q), n, tuple(groceries.get(pid, ())))
            for pid, name, unit, q, n in product_rows
        ],
        baskets=[BasketCount(offer, size, int(count)) for offer, size, count in basket_rows],
    )


def packing_list(context: ListContext) -> list[PackingPoint]:
    """Per pickup point, then per household: its extras and its baskets (two queries)."""
    by_point = {point.distribution_day_id: PackingPoint(point) for point in context.points}
    bags: dict[tuple, PackingHousehold] = {}

    def bag(day_id: int, key: tuple, name: str, on_behalf_of: str | None = None):
        if (day_id, key) not in bags:
            bags[day_id, key] = PackingHousehold(name, on_behalf_of)
            by_point[day_id].households.append(bags[day_id, key])
        return bags[day_id, key]

    extra_rows = db.session.execute(
        _extras(context)
        .with_only_columns(
            Order.distribution_day_id,
            User.id,
            User.name,
            Order.grocery_id,
            Organisation.name,
            Product.id,
            Product.name,
            Product.unit,
            OrderLine.quantity_milli,
        )
        .join(User, User.id == Order.user_id)
        .outerjoin(Organisation, Organisation.id == Order.grocery_id)
        .order_by(Product.name, OrderLine.id)
    ).all()
    for row in extra_rows:
        day_id, user_id, user_name, grocery_id, grocery_name, *product = row
        if grocery_id is not None:
            # "Épicerie du Pilat (Awa Diallo)": the grocery's bag, and who will come for it.
            target = bag(day_id, ("grocery", grocery_id), f"{grocery_name} ({user_name})")
        else:
            target = bag(day_id, ("household", user_id), user_name)
        target.extras.append(ProductTotal(*product))

    basket_rows = db.session.execute(
        _baskets(context)
        .with_only_columns(
            Delivery.distribution_day_id,
            User.id,
            User.name,
            Delivery.given_to_name,
            BasketOffer.name,
            BasketSize.name,
            Delivery.quantity,
        )
        .join(User, User.id == Subscription.user_id)
        .order_by(BasketOffer.name, BasketSize.position, BasketSize.name, Delivery.id)
    ).all()
    for day_id, user_id, user_name, given_to, offer, size, quantity in basket_rows:
        if given_to:
            # Packed under the name of whoever collects it, so the volunteers find it.
            target = bag(day_id, ("gift", user_id, given_to), given_to, user_name)
        else:
            target = bag(day_id, ("household", user_id), user_name)
        target.baskets.append(BasketCount(offer, size, quantity))

    points = list(by_point.values())
    for packing in points:
        packing.households.sort(key=lambda household: (household.name.casefold(), household.name))
    return points


def delivery_sheet(context: ListContext) -> list[SheetPoint]:
    """Per pickup point: how many baskets of each size and which extras to bring (two queries)."""
    sheets = {point.distribution_day_id: SheetPoint(point) for point in context.points}
    basket_rows = db.session.execute(
        _baskets(context)
        .with_only_columns(
            Delivery.distribution_day_id,
            BasketOffer.name,
            BasketSize.name,
            func.sum(Delivery.quantity),
        )
        .group_by(
            Delivery.distribution_day_id,
            BasketOffer.id,
            BasketOffer.name,
            BasketSize.id,
            BasketSize.name,
        )
        .order_by(BasketOffer.name, BasketSize.position, BasketSize.name)
    ).all()
    for day_id, offer, size, count in basket_rows:
        sheets[day_id].baskets.append(BasketCount(offer, size, int(count)))
    product_rows = db.session.execute(
        _extras(context)
        .with_only_columns(
            Order.distribution_day_id,
            Product.id,
            Product.name,
            Product.unit,
            func.sum(OrderLine.quantity_milli),
            func.count(func.distinct(Order.user_id)),
        )
        .group_by(Order.distribution_day_id, Product.id, Product.name, Product.unit)
        .order_by(Product.name, Product.id)
    ).all()
    for day_id, product_id, name, unit, quantity, households in product_rows:
        sheets[day_id].products.append(
            ProductTotal(product_id, name, unit, int(quantity), households)
        )
    return list(sheets.values())


# --- shared filters ----------------------------------------------------------------------------


def _day_ids(context: ListContext) -> list[int]:
    return [point.distribution_day_id for point in context.points]


def _extras(context: ListContext) -> Select:
    """Lines of live orders for the producer's products offered to the group on the date."""
    return (
        select(OrderLine.id)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Availability, Availability.id == OrderLine.availability_id)
        .join(Product, Product.id == Availability.product_id)
        .where(
            Availability.producer_id == context.producer_id,
            Availability.group_id == context.group.id,
            Availability.day == context.day,
            Order.status == OrderStatus.PLACED.value,
            Order.distribution_day_id.in_(_day_ids(context)),
        )
    )


def _baskets(context: ListContext) -> Select:
    """Baskets of the producer's contracts expected at the group's points on the date."""
    return (
        select(Delivery.id)
        .select_from(Delivery)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .where(
            BasketOffer.producer_id == context.producer_id,
            Delivery.distribution_day_id.in_(_day_ids(context)),
            Delivery.state.in_(COUNTED_DELIVERY_STATES),
        )
    )
