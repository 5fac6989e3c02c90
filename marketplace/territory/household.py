"""The household's own questions, answered first on its dashboard: my next pickup (when,
where, what I collect: baskets by size, extras ordered, a basket given to me), what I owe now,
my next shift, and whether I run a pickup day today. A constant number of queries, whatever
the number of groups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
)
from marketplace.catalogue.models import Availability
from marketplace.catalogue.quantities import format_quantity
from marketplace.catalogue.week_baskets import Announced, announced
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments.models import LedgerEntry
from marketplace.shifts.models import ShiftSignup, ShiftState, VolunteerRole
from marketplace.shop.models import Order, OrderLine, OrderStatus

SOON = 3  # candidate days read of each kind: the next pickup is among the first ones


@dataclass
class Basket:
    size: str
    offer: str
    quantity: int
    offer_id: int = 0
    size_id: int = 0
    contents: Announced | None = None  # the basket of the week, when announced


@dataclass
class Extra:
    product: str
    quantity: str


@dataclass
class NextPickup:
    day: DistributionDay
    baskets: list[Basket] = field(default_factory=list)
    extras: list[Extra] = field(default_factory=list)
    gifts: list[tuple[Basket, str]] = field(default_factory=list)  # (basket, from whom)
    order_id: int | None = None


@dataclass
class Owed:
    group: Organisation
    amount_cents: int


@dataclass
class NextShift:
    day: DistributionDay
    role_name: str


@dataclass
class HouseholdView:
    next_pickup: NextPickup | None
    owed: list[Owed]
    next_shift: NextShift | None
    on_duty_today: bool


def household_view(
    user: User, now: datetime, today: date, coordinated: list[int] | None = None
) -> HouseholdView:
    """`coordinated`: the groups the person coordinates (their days are theirs to run)."""
    shift = _next_shift(user, now)
    return HouseholdView(
        next_pickup=_next_pickup(user, today),
        owed=_owed(user),
        next_shift=shift,
        on_duty_today=_on_duty(user, today, coordinated or []),
    )


def _coming(query, today: date):
    return query.where(DistributionDay.day >= today).order_by(DistributionDay.starts_at)


def _next_pickup(user: User, today: date) -> NextPickup | None:
    mine = db.session.execute(
        _coming(
            select(Delivery, BasketSize.name, BasketOffer.name, DistributionDay, BasketOffer.id)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .join(BasketSize, BasketSize.id == Delivery.size_id)
            .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
            .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
            .where(Subscription.user_id == user.id, Delivery.state == DeliveryState.PLANNED),
            today,
        ).limit(SOON * 4)
    ).all()
    given = db.session.execute(
        _coming(
            select(
                Delivery,
                BasketSize.name,
                BasketOffer.name,
                DistributionDay,
                User.name,
                BasketOffer.id,
            )
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .join(User, User.id == Subscription.user_id)
            .join(BasketSize, BasketSize.id == Delivery.size_id)
            .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
            .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
            .where(
                Delivery.state == DeliveryState.GIVEN,
                func.lower(Delivery.given_to_email) == user.email.lower(),
            ),
            today,
        ).limit(SOON)
    ).all()
    orders = db.session.scalars(
        _coming(
            select(Order)
            .join(DistributionDay, DistributionDay.id == Order.distribution_day_id)
            .where(
                Order.user_id == user.id,
                Order.status == OrderStatus.PLACED,
                Order.grocery_id.is_(None),
            )
            .options(
                joinedload(Order.distribution_day),
                selectinload(Order.lines)
                .joinedload(OrderLine.availability)
                .joinedload(Availability.product),
            ),
            today,
        ).limit(SOON)
    ).all()
    days = [row[3] for row in mine] + [row[3] for row in given]
    days += [order.distribution_day for order in orders]
    if not days:
        return None
    first = min(days, key=lambda day: (day.starts_at, day.id))
    pickup = NextPickup(day=first)
    sizes: dict[tuple[str, str, int, int], int] = defaultdict(int)
    for delivery, size, offer, day, offer_id in mine:
        if day.id == first.id:
            sizes[(size, offer, offer_id, delivery.size_id)] += delivery.quantity
    pickup.baskets = [Basket(*key[:2], count, *key[2:]) for key, count in sizes.items()]
    pickup.gifts = [
        (
            Basket(size, offer, delivery.quantity, offer_id, delivery.size_id),
            giver,
        )
        for delivery, size, offer, day, giver, offer_id in given
        if day.id == first.id
    ]
    _add_contents(first.id, pickup.baskets + [basket for basket, _giver in pickup.gifts])
    for order in orders:
        if order.distribution_day_id == first.id:
            pickup.order_id = order.id
            pickup.extras = [
                Extra(
                    line.availability.product.name,
                    format_quantity(line.quantity_milli, line.availability.product.unit),
                )
                for line in order.lines
            ]
    return pickup


def _add_contents(day_id: int, baskets: list[Basket]) -> None:
    """The basket of the week of each basket collected that day (two queries)."""
    if not baskets:
        return
    by_offer = {item.offer_id: item for item in announced([day_id], [b.offer_id for b in baskets])}
    for basket in baskets:
        basket.contents = by_offer.get(basket.offer_id)


def _owed(user: User) -> list[Owed]:
    """The groups where the household's ledger is negative (arrears), with the amount."""
    rows = db.session.execute(
        select(Organisation, func.sum(LedgerEntry.amount_cents))
        .join(Organisation, Organisation.id == LedgerEntry.group_id)
        .where(LedgerEntry.user_id == user.id)
        .group_by(Organisation.id)
        .having(func.sum(LedgerEntry.amount_cents) < 0)
        .order_by(Organisation.name)
    ).all()
    return [Owed(group, -int(total)) for group, total in rows]


def _next_shift(user: User, now: datetime) -> NextShift | None:
    row = db.session.execute(
        select(DistributionDay, VolunteerRole.name)
        .join(ShiftSignup, ShiftSignup.distribution_day_id == DistributionDay.id)
        .join(VolunteerRole, VolunteerRole.id == ShiftSignup.role_id)
        .where(
            ShiftSignup.user_id == user.id,
            ShiftSignup.state == ShiftState.SIGNED_UP,
            DistributionDay.ends_at >= now,
        )
        .order_by(DistributionDay.starts_at)
        .limit(1)
    ).first()
    return NextShift(row[0], row[1]) if row else None


def _on_duty(user: User, today: date, coordinated: list[int]) -> bool:
    """On today's roster (even once the day is over: the list is where it is closed), or
    coordinating a group that distributes today: the day's list is their tool today; nobody
    else needs it on their dashboard."""
    on_roster = (
        select(DistributionDay.id)
        .join(ShiftSignup, ShiftSignup.distribution_day_id == DistributionDay.id)
        .where(
            ShiftSignup.user_id == user.id,
            ShiftSignup.state == ShiftState.SIGNED_UP,
            DistributionDay.day == today,
        )
    )
    if coordinated:
        on_roster = on_roster.union(
            select(DistributionDay.id).where(
                DistributionDay.group_id.in_(coordinated), DistributionDay.day == today
            )
        )
    return db.session.scalar(on_roster.limit(1)) is not None
