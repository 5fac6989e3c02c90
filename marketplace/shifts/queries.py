"""What the shift pages read: staffing of coming days, one's own shifts, counts per member.

Each function runs a fixed number of queries, whatever the number of days, roles and people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import contains_eager, joinedload

from marketplace.accounts.models import User
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Membership
from marketplace.shifts.models import ShiftSignup, ShiftState, VolunteerRole

LIVE = ShiftState.SIGNED_UP.value


@dataclass
class RoleStaffing:
    role: VolunteerRole
    signups: list[ShiftSignup] = field(default_factory=list)

    @property
    def needed(self) -> int:
        return self.role.needed_per_day

    @property
    def taken(self) -> int:
        return len(self.signups)

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.taken) if self.role.active else 0

    @property
    def full(self) -> bool:
        return self.taken >= self.needed

    def signup_of(self, user_id: int) -> ShiftSignup | None:
        return next((s for s in self.signups if s.user_id == user_id), None)


@dataclass
class DayStaffing:
    day: DistributionDay
    roles: list[RoleStaffing] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return 0 if self.day.is_cancelled else sum(role.missing for role in self.roles)

    @property
    def understaffed(self) -> bool:
        return self.missing > 0


def coming_days(group_id: int, now: datetime, until: date) -> list[DistributionDay]:
    """The group's distribution days not started yet, up to `until`, with their place."""
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.group_id == group_id,
                DistributionDay.starts_at > now,
                DistributionDay.day <= until,
            )
            .options(joinedload(DistributionDay.pickup_point))
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )


def staffing_of(days: list[DistributionDay]) -> list[DayStaffing]:
    """Each day with its roles (active ones, and inactive ones someone is still signed up
    for), needed vs signed up, in the days' order. Two queries."""
    if not days:
        return []
    group_ids = {day.group_id for day in days}
    roles_by_group: dict[int, list[VolunteerRole]] = defaultdict(list)
    for role in db.session.scalars(
        select(VolunteerRole)
        .where(VolunteerRole.group_id.in_(group_ids), VolunteerRole.active.is_(True))
        .order_by(VolunteerRole.position, VolunteerRole.name, VolunteerRole.id)
    ):
        roles_by_group[role.group_id].append(role)
    signups: dict[tuple[int, int], list[ShiftSignup]] = defaultdict(list)
    extra_roles: dict[int, dict[int, VolunteerRole]] = defaultdict(dict)
    for signup in db.session.scalars(
        select(ShiftSignup)
        .join(ShiftSignup.user)
        .where(
            ShiftSignup.distribution_day_id.in_([day.id for day in days]),
            ShiftSignup.state == LIVE,
        )
        .options(contains_eager(ShiftSignup.user), joinedload(ShiftSignup.role))
        .order_by(User.name, ShiftSignup.id)
    ):
        signups[(signup.distribution_day_id, signup.role_id)].append(signup)
        if not signup.role.active:
            extra_roles[signup.distribution_day_id][signup.role_id] = signup.role
    result = []
    for day in days:
        roles = [*roles_by_group[day.group_id], *extra_roles[day.id].values()]
        result.append(
            DayStaffing(day, [RoleStaffing(role, signups[(day.id, role.id)]) for role in roles])
        )
    return result


def understaffed_first(staffing: list[DayStaffing]) -> list[DayStaffing]:
    """Days missing people first (soonest first), then the others in date order."""
    return sorted(staffing, key=lambda item: (not item.understaffed, item.day.starts_at))


def understaffed_between(first: date, last: date, now: datetime) -> list[DayStaffing]:
    """Every group's scheduled days from `first` to `last` that still miss volunteers."""
    days = list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.day >= first,
                DistributionDay.day <= last,
                DistributionDay.starts_at > now,
                DistributionDay.status == DayStatus.SCHEDULED.value,
            )
            .options(joinedload(DistributionDay.pickup_point), joinedload(DistributionDay.group))
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )
    return [item for item in staffing_of(days) if item.understaffed]


def my_shifts(user_id: int, now: datetime, group_id: int | None = None) -> list[ShiftSignup]:
    """The person's shifts on days not over yet, soonest first (one query)."""
    query = (
        select(ShiftSignup)
        .join(ShiftSignup.distribution_day)
        .where(
            ShiftSignup.user_id == user_id,
            ShiftSignup.state == LIVE,
            DistributionDay.ends_at > now,
        )
        .options(
            contains_eager(ShiftSignup.distribution_day).joinedload(DistributionDay.pickup_point),
            joinedload(ShiftSignup.role),
        )
        .order_by(DistributionDay.starts_at, ShiftSignup.id)
    )
    if group_id is not None:
        query = query.where(DistributionDay.group_id == group_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class MemberCount:
    user: User
    done: int
    missed: int
    coming: int


def shift_counts(group_id: int, now: datetime) -> list[MemberCount]:
    """Each member of the group with their shifts done (attended), missed and to come, by
    name (one query)."""
    day_started = DistributionDay.starts_at <= now
    counts = (
        select(
            ShiftSignup.user_id.label("user_id"),
            func.sum(case((ShiftSignup.attended.is_(True), 1), else_=0)).label("done"),
            func.sum(case((ShiftSignup.attended.is_(False), 1), else_=0)).label("missed"),
            func.sum(case((day_started, 0), else_=1)).label("coming"),
        )
        .join(ShiftSignup.distribution_day)
        .where(DistributionDay.group_id == group_id, ShiftSignup.state == LIVE)
        .group_by(ShiftSignup.user_id)
        .subquery()
    )
    members = select(Membership.user_id).where(Membership.organisation_id == group_id)
    rows = db.session.execute(
        select(
            User,
            func.coalesce(counts.c.done, 0),
            func.coalesce(counts.c.missed, 0),
            func.coalesce(counts.c.coming, 0),
        )
        .outerjoin(counts, counts.c.user_id == User.id)
        .where(User.id.in_(members))
        .order_by(User.name, User.id)
    )
    return [MemberCount(user, done, missed, coming) for user, done, missed, coming in rows]


@dataclass(frozen=True)
class PastDay:
    day: DistributionDay
    volunteers: int
    unrecorded: int


def days_to_record(group_id: int, now: datetime, weeks: int = 8) -> list[PastDay]:
    """The group's started days of the last `weeks` with volunteers, newest first, with how
    many attendances are still to note (one query)."""
    per_day = (
        select(
            ShiftSignup.distribution_day_id.label("day_id"),
            func.count().label("volunteers"),
            func.sum(case((ShiftSignup.attended.is_(None), 1), else_=0)).label("unrecorded"),
        )
        .where(ShiftSignup.state == LIVE)
        .group_by(ShiftSignup.distribution_day_id)
        .subquery()
    )
    rows = db.session.execute(
        select(DistributionDay, per_day.c.volunteers, per_day.c.unrecorded)
        .join(per_day, per_day.c.day_id == DistributionDay.id)
        .where(
            and_(
                DistributionDay.group_id == group_id,
                DistributionDay.starts_at <= now,
                DistributionDay.starts_at > now - timedelta(weeks=weeks),
            )
        )
        .options(joinedload(DistributionDay.pickup_point))
        .order_by(DistributionDay.starts_at.desc())
    )
    return [PastDay(day, volunteers, unrecorded) for day, volunteers, unrecorded in rows]


def group_members(group_id: int) -> list[User]:
    """Everyone holding a role in the group, by name: who a coordinator may assign."""
    members = select(Membership.user_id).where(Membership.organisation_id == group_id)
    return list(db.session.scalars(select(User).where(User.id.in_(members)).order_by(User.name)))
