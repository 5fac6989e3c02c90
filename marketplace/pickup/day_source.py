"""The distribution day's checklist: a group's households collecting baskets and extras.

What a tap changes:
- a delivery: collected → "collected", not collected → "not_collected", undo → "planned".
  A delivery given to someone else keeps its state "given" (and so the friend's name, which
  the database only keeps in that state); its pickup outcome is its latest tap, read by
  roster.household_lines.
- an order: Order.pickup_state (pending / collected / not_collected).
- a note: Order.pickup_note for an order; a delivery's note lives in its taps.
"""

from __future__ import annotations

import functools
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, or_, select, true
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery, DeliveryState, Subscription, SubscriptionStatus
from marketplace.catalogue.week_baskets import announced
from marketplace.catalogue.week_models import WeekBasket
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Role
from marketplace.pickup.access import checklist_access, find_day_for, may_use_checklist
from marketplace.pickup.models import ChecklistTap, DayClosing, TapAction, TapTarget
from marketplace.pickup.roster import LISTED_DELIVERY_STATES, HouseholdLine, household_lines
from marketplace.pickup.sources import ChecklistSource, Heading, ListEntry, ListSection, Wording
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.shop.models import Order, OrderLine, OrderStatus, PickupState

_DELIVERY_STATE_AFTER = {
    TapAction.COLLECTED.value: DeliveryState.COLLECTED.value,
    TapAction.NOT_COLLECTED.value: DeliveryState.NOT_COLLECTED.value,
    TapAction.PENDING.value: DeliveryState.PLANNED.value,
}
_ORDER_STATE_AFTER = {
    TapAction.COLLECTED.value: PickupState.COLLECTED.value,
    TapAction.NOT_COLLECTED.value: PickupState.NOT_COLLECTED.value,
    TapAction.PENDING.value: PickupState.PENDING.value,
}


def day_is_closed(distribution_day_id: int) -> bool:
    return (
        db.session.scalar(
            select(DayClosing.id).where(DayClosing.distribution_day_id == distribution_day_id)
        )
        is not None
    )


class DaySource(ChecklistSource):
    segment = "days"
    tap_column = "distribution_day_id"
    target_kinds = frozenset({TapTarget.DELIVERY.value, TapTarget.ORDER.value})

    def find(self, subject_id: int) -> DistributionDay | None:
        return db.session.get(DistributionDay, subject_id)

    def may_use(self, user: User, day: DistributionDay) -> bool:
        return may_use_checklist(user, day)

    def find_for(self, user: User, subject_id: int) -> tuple[DistributionDay | None, bool]:
        return find_day_for(user, subject_id)

    def find_to_read(
        self, user: User, subject_id: int
    ) -> tuple[DistributionDay | None, bool, tuple | None]:
        """The day, the person's right to its list and the list's version: one query for a
        volunteer or a coordinator."""
        if not user or not user.is_authenticated or user.is_admin:
            return super().find_to_read(user, subject_id)
        row = db.session.execute(
            _day_access_version_statement(), {"day_id": subject_id, "user_id": user.id}
        ).first()
        if row is None:
            return None, False, None
        allowed = bool(row[1])
        return row[0], allowed, tuple(row[2:]) if allowed else None

    def wording(self) -> Wording:
        return Wording(
            not_found=_("Cette distribution n'existe pas."),
            may_not_view=_(
                "Seul·es les bénévoles de cette distribution et les coordinateur·rices "
                "peuvent voir la liste du jour."
            ),
            may_not_tick=_(
                "Seul·es les bénévoles de cette distribution et les coordinateur·rices peuvent "
                "cocher."
            ),
            not_listed=_("Cette ligne n'est pas sur la liste de cette distribution."),
        )

    def closed_reason(self, day: DistributionDay) -> str | None:
        if day_is_closed(day.id):
            return _("Cette distribution est clôturée : la liste ne peut plus changer.")
        return None

    def lock(self, day: DistributionDay) -> None:
        """PostgreSQL row lock; SQLite has one writer at a time anyway. Closing the day takes
        the same lock, so a batch never lands on a day being closed."""
        db.session.execute(
            select(DistributionDay.id).where(DistributionDay.id == day.id).with_for_update()
        )

    def cache_version(self, day: DistributionDay) -> tuple:
        """The day's deliveries and orders (how many, their latest change), its order lines,
        its taps and its closing: one aggregate query, cheap beside building the list."""
        return tuple(db.session.execute(_version_statement(), {"day_id": day.id}).one())

    def lines(self, day: DistributionDay) -> list[HouseholdLine]:
        return household_lines(day.id)

    def heading(self, day: DistributionDay) -> Heading:
        return Heading(
            id=day.id,
            day=day.day,
            place=day.pickup_point.name,
            starts_at=day.starts_at,
            ends_at=day.ends_at,
        )

    def built_context(self, day: DistributionDay) -> dict:
        """The baskets of the week announced for the day (two queries, when the list is
        built): every change of one moves the version (`_version_parts`' week baskets)."""
        return {"week_baskets": announced([day.id])}

    def page_context_key(self, context: dict) -> str:
        """Nothing beside the list: its version covers the week's baskets."""
        return ""

    def listed_targets(
        self, day: DistributionDay, wanted: dict[str, set[int]]
    ) -> dict[str, dict[int, object]]:
        """The tapped deliveries and orders that are on this day's list (two queries)."""
        listed: dict[str, dict[int, object]] = {kind: {} for kind in self.target_kinds}
        if delivery_ids := wanted.get(TapTarget.DELIVERY.value):
            listed[TapTarget.DELIVERY.value] = {
                delivery.id: delivery
                for delivery in db.session.scalars(
                    select(Delivery)
                    .join(Subscription, Subscription.id == Delivery.subscription_id)
                    .where(
                        Delivery.id.in_(delivery_ids),
                        Delivery.distribution_day_id == day.id,
                        Delivery.state.in_(LISTED_DELIVERY_STATES),
                        Subscription.status == SubscriptionStatus.ACTIVE.value,
                    )
                )
            }
        if order_ids := wanted.get(TapTarget.ORDER.value):
            listed[TapTarget.ORDER.value] = {
                order.id: order
                for order in db.session.scalars(
                    select(Order).where(
                        Order.id.in_(order_ids),
                        Order.distribution_day_id == day.id,
                        Order.status == OrderStatus.PLACED.value,
                    )
                )
            }
        return listed

    def write_state(self, kind: str, target, action: str) -> None:
        if kind == TapTarget.DELIVERY.value:
            if target.state != DeliveryState.GIVEN.value:
                target.state = _DELIVERY_STATE_AFTER[action]
        else:
            target.pickup_state = _ORDER_STATE_AFTER[action]

    def write_note(self, kind: str, target, note: str) -> None:
        if kind == TapTarget.ORDER.value:
            target.pickup_note = note

    def list_section(self, user: User, first: date, last: date) -> ListSection:
        """Days on the person's shift roster and days of the groups they coordinate (every
        group for site administrators)."""
        query = (
            select(DistributionDay)
            .options(joinedload(DistributionDay.pickup_point), joinedload(DistributionDay.group))
            .where(
                DistributionDay.day.between(first, last),
                DistributionDay.status == DayStatus.SCHEDULED.value,
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
        if not user.is_admin:
            on_duty = select(ShiftSignup.distribution_day_id).where(
                ShiftSignup.user_id == user.id,
                ShiftSignup.state == ShiftState.SIGNED_UP.value,
            )
            coordinated = select(Membership.organisation_id).where(
                Membership.user_id == user.id, Membership.role == Role.COORDINATOR.value
            )
            query = query.where(
                or_(DistributionDay.id.in_(on_duty), DistributionDay.group_id.in_(coordinated))
            )
        return ListSection(
            title=_("Distributions"),
            help=_(
                "Les distributions où vous êtes de permanence, et celles des groupes que vous "
                "coordonnez."
            ),
            entries=[
                ListEntry(
                    url=url_for("pickup.checklist", day_id=day.id),
                    day=day.day,
                    starts_at=day.starts_at,
                    place=day.pickup_point.name,
                    owner=day.group.name,
                )
                for day in db.session.scalars(query)
            ],
        )


@functools.cache
def _version_statement():
    """Built once: constructing the statement costs more than running it."""
    first, *others = _version_parts()
    joined = first
    for part in others:
        joined = joined.join(part, true())
    return select(first, *others).select_from(joined)


@functools.cache
def _day_access_version_statement():
    """The day, whether the person may use its list, and the list's version (the same
    columns as `_version_statement`'s), for a volunteer or a coordinator."""
    parts = _version_parts()
    allowed = checklist_access(bindparam("user_id"), DistributionDay.group_id, DistributionDay.id)
    joined = DistributionDay.__table__
    for part in parts:
        joined = joined.join(part, true())
    return (
        select(DistributionDay, allowed, *parts)
        .select_from(joined)
        .where(DistributionDay.id == bindparam("day_id"))
    )


def _version_parts() -> tuple:
    """The version's aggregates, one subquery each, all of the day given as "day_id"."""
    day_id = bindparam("day_id")
    deliveries = (
        select(
            func.count(Delivery.id),
            func.max(Delivery.updated_at),
            func.sum(case((Subscription.status == SubscriptionStatus.ACTIVE.value, 1), else_=0)),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.distribution_day_id == day_id)
    ).subquery()
    orders = (
        select(func.count(Order.id), func.max(Order.updated_at))
        .where(Order.distribution_day_id == day_id)
        .subquery()
    )
    order_lines = (
        select(func.count(OrderLine.id), func.sum(OrderLine.quantity_milli), func.max(OrderLine.id))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.distribution_day_id == day_id)
    ).subquery()
    taps = (
        select(func.count(ChecklistTap.id), func.max(ChecklistTap.id))
        .where(ChecklistTap.distribution_day_id == day_id)
        .subquery()
    )
    closings = (
        select(func.count(DayClosing.id)).where(DayClosing.distribution_day_id == day_id).subquery()
    )
    # Every write of a week's basket (lines, note, photo) moves the day's latest stamp
    # (week_baskets.stamp); a basket added or removed moves the count.
    week_baskets = (
        select(func.count(WeekBasket.id), func.max(WeekBasket.updated_at))
        .where(WeekBasket.distribution_day_id == day_id)
        .subquery()
    )
    return deliveries, orders, order_lines, taps, closings, week_baskets


DAYS = DaySource()
