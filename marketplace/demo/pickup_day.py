"""A distribution today in the demo group, whatever the date, with the demo volunteer Lucas on
its roster: logging in as Lucas shows « Liste du jour », and the list has baskets and extras.

When the group's calendars give no distribution today (any day but a Tuesday, a public holiday,
Christmas...), a coming date of one of its rules is moved to today, as a coordinator would on
the calendar page (an exception on a public holiday still wins): the first date whose orders
are not open yet, so that the shop open today keeps its date. Everything goes through the
calendar's and the roster's services. Idempotent.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.delivery.days import materialise_schedule
from marketplace.delivery.models import (
    DayStatus,
    DistributionDay,
    DistributionSchedule,
    ExceptionKind,
)
from marketplace.delivery.recurrence import next_occurrence_dates
from marketplace.delivery.services import add_exception
from marketplace.demo.shifts import LEAD_EMAIL
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.shifts import roles, signups
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.timezones import local_instant

DEMO_GROUP = "amap-croix-rousse"
# Stored on the calendar like a coordinator's reason, in French.
MOVED_REASON = "Distribution avancée : la salle n'est pas libre à la date habituelle."
# How many dates of a rule to look through for one without an exception.
LOOK_AHEAD = 24


def demo_group() -> Group | None:
    return db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))


def day_today(group_id: int, today: date) -> DistributionDay | None:
    """The group's first distribution held today, if any."""
    return db.session.scalar(
        select(DistributionDay)
        .where(
            DistributionDay.group_id == group_id,
            DistributionDay.day == today,
            DistributionDay.status == DayStatus.SCHEDULED.value,
        )
        .order_by(DistributionDay.starts_at, DistributionDay.id)
        .limit(1)
    )


def seed_demo_day_today(today: date, horizon_weeks: int) -> int:
    """When no distribution is held today, move to today the first coming date of the demo
    group's rules whose orders are not open yet; 1 if a date was moved."""
    group = demo_group()
    if group is None or day_today(group.id, today) is not None:
        return 0
    schedules = db.session.scalars(
        select(DistributionSchedule)
        .where(DistributionSchedule.group_id == group.id, DistributionSchedule.active.is_(True))
        .order_by(DistributionSchedule.id)
    ).all()
    candidates = []
    for schedule in schedules:
        taken = {exception.occurrence_date for exception in schedule.exceptions}
        taken |= {exception.moved_to for exception in schedule.exceptions if exception.moved_to}
        dates = next_occurrence_dates(
            schedule.rrule, schedule.starts_on, today + timedelta(days=1), LOOK_AHEAD
        )
        # A date whose orders are not open yet: the shop open today keeps its date.
        opens_after_today = today + timedelta(days=schedule.order_opens_days_before)
        free = [day for day in dates if day not in taken and day > opens_after_today]
        if free:
            candidates.append((free[0], schedule.id, schedule))
    if not candidates:
        return 0
    occurrence_date, _id, schedule = min(candidates, key=lambda item: item[:2])
    add_exception(
        schedule,
        occurrence_date=occurrence_date,
        kind=ExceptionKind.MOVED,
        today=today,
        moved_to=today,
        reason=MOVED_REASON,
    )
    materialise_schedule(schedule, today, horizon_weeks)
    return 1


def seed_demo_volunteer_today(today: date) -> int:
    """Lucas on the roster of today's distribution (signed up a few days ago); 1 if added."""
    group = demo_group()
    lucas = db.session.scalar(select(User).where(User.email == LEAD_EMAIL))
    day = day_today(group.id, today) if group is not None else None
    if day is None or lucas is None:
        return 0
    on_roster = db.session.scalar(
        select(ShiftSignup.id).where(
            ShiftSignup.distribution_day_id == day.id,
            ShiftSignup.user_id == lucas.id,
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
        )
    )
    if on_roster is not None:
        return 0
    signed_at = local_instant(today - timedelta(days=3), time(12, 0))
    # « Émargement » first: ticking the list is his job; any role with a place left otherwise.
    group_roles = sorted(roles.group_roles(group.id), key=lambda role: role.position != 2)
    for role in group_roles:
        try:
            with db.session.begin_nested():
                signups.sign_up(day, role, lucas, signed_at)
        except DomainError:
            continue
        return 1
    return 0
