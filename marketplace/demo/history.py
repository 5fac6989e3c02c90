"""The demo season's past: it began four weeks before the seed's `today`, so the demo has past
distributions whose baskets and extras were handed over, and installments cashed. The
coordinators' and the producer's prefinancing pages and the producer's sales chart show them.

Each step goes through the services a real season used, at the instant it happened: the
calendar materialised from the season's start, extras ordered while each day's window was
open, checklist taps on the day, cheques and transfers recorded then marked received on their
due date. Idempotent: days, orders, taps and payments already there are left alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery, DeliveryState, Subscription, SubscriptionStatus
from marketplace.catalogue.models import MILLI
from marketplace.delivery.days import materialise_all
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.demo import catalogue
from marketplace.demo.pickup_day import DEMO_GROUP
from marketplace.demo.territory import GROUPS
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.payments import offline
from marketplace.payments.models import Installment, InstallmentState, OfflineMethod
from marketplace.pickup import taps
from marketplace.pickup.models import TapAction, TapTarget
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.shop import ordering
from marketplace.shop.models import Order, OrderStatus, PickupState
from marketplace.shop.queries import shop_rows
from marketplace.timezones import local_instant

SEASON_WEEKS_AGO = 4  # the demo calendars and seasons start then (seed.py, baskets.py)
EXTRA_HOUSEHOLDS = 8  # households ordering extras for each day
PRODUCTS_PER_ORDER = 3
DEMO_BANK = "Crédit Mutuel"


def season_start(today: date) -> date:
    return today - timedelta(weeks=SEASON_WEEKS_AGO)


def materialise_history(today: date, horizon_weeks: int) -> None:
    """The distribution days from the season's start, for groups that have none before today
    (as the nightly run made them then); past days are never changed afterwards."""
    with_past = select(DistributionDay.group_id).where(DistributionDay.day < today)
    group_ids = list(
        db.session.scalars(select(Group.id).where(_demo_group(), Group.id.not_in(with_past)))
    )
    if group_ids:
        materialise_all(season_start(today), horizon_weeks, group_ids=group_ids)


def _demo_group():
    """Only the demo groups: a real group in the same database is never touched."""
    return Group.slug.in_([group.slug for group in GROUPS])


def _held_days(group_id: int, first: date, last: date) -> list[DistributionDay]:
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.group_id == group_id,
                DistributionDay.day.between(first, last),
                DistributionDay.status == DayStatus.SCHEDULED.value,
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )


def _members(group_id: int, role: Role) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == group_id, Membership.role == role.value)
            .order_by(User.id)
        )
    )


# --- Extras ordered for the past days and today ------------------------------------------------


def seed_demo_extras(today: date) -> int:
    """Extras ordered by a few households of the demo group for each day of the season up to
    today (today's list has some to hand over); returns the orders placed."""
    group = db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))
    if group is None:
        return 0
    households = _members(group.id, Role.MEMBER)
    producers = list(
        db.session.scalars(
            select(Producer)
            .join(ProducerSuppliesGroup, ProducerSuppliesGroup.producer_id == Producer.id)
            .where(ProducerSuppliesGroup.group_id == group.id)
            .order_by(Producer.id)
        )
    )
    placed = 0
    for position, day in enumerate(_held_days(group.id, season_start(today), today)):
        ordered = db.session.scalar(
            select(Order.id).where(Order.distribution_day_id == day.id, Order.grocery_id.is_(None))
        )
        if ordered is not None or not households:
            continue
        # While the day's window was open: the farms published, then households ordered.
        when = max(day.order_opens_at + timedelta(hours=1), day.order_closes_at - timedelta(days=1))
        for producer in producers:
            catalogue.publish_day(producer, group, day.day, when)
        for turn in range(EXTRA_HOUSEHOLDS):
            user = households[(position * EXTRA_HOUSEHOLDS + turn) * 2 % len(households)]
            quantities = _extras(day, turn)
            if not quantities or ordering.live_order(user.id, day.id) is not None:
                continue
            try:
                with db.session.begin_nested():
                    ordering.place_order(user, day, quantities, now=when)
            except DomainError:
                continue  # sold out meanwhile: the other households' orders are enough
            placed += 1
    db.session.flush()
    return placed


def _extras(day: DistributionDay, turn: int) -> dict[int, int]:
    """One unit of a few of the day's products, different for each household."""
    rows = [
        row
        for row in shop_rows(day)
        if row.quantity_milli is None or row.quantity_milli - row.reserved_milli >= MILLI
    ]
    if not rows:
        return {}
    chosen = {rows[(turn * 3 + step) % len(rows)] for step in range(PRODUCTS_PER_ORDER)}
    return {row.availability_id: MILLI for row in chosen}


# --- The past days' lists ticked, their installments cashed -------------------------------------


def seed_demo_history(today: date) -> int:
    """For each demo group: the baskets and extras of past days ticked collected on the day's
    list by a coordinator, and the installments due before today paid by cheque, cash or
    transfer; returns the taps and payments added."""
    added = 0
    for group in db.session.scalars(select(Group).where(_demo_group()).order_by(Group.id)):
        coordinators = _members(group.id, Role.COORDINATOR)
        if not coordinators:
            continue
        coordinator = coordinators[0]
        for day in _held_days(group.id, season_start(today), today - timedelta(days=1)):
            added += _tick_collected(day, coordinator)
        added += _cash_installments(group.id, coordinator, today)
    db.session.flush()
    return added


def _tick_collected(day: DistributionDay, coordinator: User) -> int:
    deliveries = db.session.scalars(
        select(Delivery.id).where(
            Delivery.distribution_day_id == day.id,
            Delivery.state == DeliveryState.PLANNED.value,
        )
    ).all()
    orders = db.session.scalars(
        select(Order.id).where(
            Order.distribution_day_id == day.id,
            Order.status == OrderStatus.PLACED.value,
            Order.pickup_state == PickupState.PENDING.value,
        )
    ).all()
    tapped_at = day.starts_at + timedelta(minutes=20)
    batch = [
        taps.TapIn(f"demo-{kind}-{target_id}", kind, target_id, TapAction.COLLECTED, tapped_at)
        for kind, ids in ((TapTarget.DELIVERY.value, deliveries), (TapTarget.ORDER.value, orders))
        for target_id in ids
    ]
    if not batch:
        return 0
    results = taps.apply_taps(day, coordinator, batch, now=day.ends_at)
    return sum(result.status == taps.TapStatus.APPLIED for result in results)


OFFLINE = {
    "cheque": OfflineMethod.CHEQUE,
    "cash": OfflineMethod.CASH,
    "transfer": OfflineMethod.TRANSFER,
}


def _cash_installments(group_id: int, coordinator: User, today: date) -> int:
    due = db.session.execute(
        select(Installment, Subscription.user_id, Subscription.payment_method)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .where(
            Subscription.group_id == group_id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            Subscription.payment_method.in_(list(OFFLINE)),
            Installment.state == InstallmentState.PLANNED.value,
            Installment.due_on < today,
        )
        .order_by(Installment.due_on, Installment.id)
    ).all()
    for installment, user_id, method in due:
        _pay(group_id, user_id, installment, OFFLINE[method], coordinator)
    return len(due)


def _pay(
    group_id: int, user_id: int, installment: Installment, method: str, coordinator: User
) -> None:
    """Handed to the coordinator at the distribution before the due date, received that day."""
    line = offline.PaymentLine(
        position=0,
        installment_id=installment.id,
        method=method,
        amount_cents=installment.amount_cents,
        bank=DEMO_BANK if method == OfflineMethod.CHEQUE else "",
        cheque_number=f"{4_000_000 + installment.id}" if method == OfflineMethod.CHEQUE else "",
    )
    (payment,) = offline.record_payments(
        group_id=group_id, user_id=user_id, lines=[line], recorded_by_id=coordinator.id
    )
    db.session.flush()
    offline.mark_received(
        group_id=group_id,
        payment_ids=[payment.id],
        now=_evening(installment.due_on),
        today=installment.due_on,
    )


def _evening(day: date) -> datetime:
    return local_instant(day, time(19, 0))
