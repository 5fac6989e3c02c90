"""Reading memberships: a household's status, the coordinators' members list, lapsed members."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.membership import columns
from marketplace.membership.models import MembershipSettings, YearlyMembership
from marketplace.membership.periods import Period, period_containing
from marketplace.organisations.models import Membership, Role

PAGE_SIZE = 50


class Status(enum.StrEnum):
    PAID = "paid"  # a member for the current period, fee received
    UNPAID = "unpaid"  # joined for the current period, fee still due
    LAPSED = "lapsed"  # a member of an earlier period, not of this one
    NONE = "none"  # never joined


@dataclass
class MemberRow:
    user: User
    status: Status
    current: YearlyMembership | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MembersPage:
    rows: list[MemberRow]
    total: int
    page: int
    pages: int
    period: Period | None
    columns: list[columns.MemberColumn]


def status_of(current: YearlyMembership | None, has_earlier: bool) -> Status:
    if current is not None:
        return Status.PAID if current.is_paid else Status.UNPAID
    return Status.LAPSED if has_earlier else Status.NONE


def household_status(settings: MembershipSettings, user_id: int, today: date) -> Status:
    """Where one household stands with its group's membership today (two queries at most)."""
    period = period_containing(today, settings.start_month)
    memberships = list(
        db.session.scalars(
            select(YearlyMembership).where(
                YearlyMembership.group_id == settings.group_id,
                YearlyMembership.user_id == user_id,
                YearlyMembership.period_starts_on <= period.starts_on,
            )
        )
    )
    current = next((m for m in memberships if m.period_starts_on == period.starts_on), None)
    return status_of(current, any(m.period_starts_on < period.starts_on for m in memberships))


def _households(group_id: int, search: str) -> Select:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == group_id, Membership.role == Role.MEMBER.value)
    )
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(User.name).like(pattern) | func.lower(User.email).like(pattern)
        )
    return query


def members_page(
    group_id: int,
    settings: MembershipSettings | None,
    today: date,
    *,
    search: str = "",
    page: int = 1,
    status: Status | None = None,
) -> MembersPage:
    """One page of the group's households (PAGE_SIZE), whatever their number: a fixed number
    of queries (the count, the page, their memberships, one per registered column)."""
    households = _households(group_id, search)
    if status is not None and settings is not None:
        households = households.where(
            _status_clause(group_id, period_containing(today, settings.start_month), status)
        )
    total = db.session.scalar(select(func.count()).select_from(households.subquery()))
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    users = list(
        db.session.scalars(
            households.order_by(func.lower(User.name), User.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    rows, period = _rows(group_id, settings, today, users, [user.id for user in users])
    return MembersPage(rows, int(total), page, pages, period, columns.registered())


def _status_clause(group_id: int, period: Period, status: Status):
    """Households of `status` for `period`, as a condition on User (for the filter)."""
    mine = YearlyMembership.group_id == group_id
    current = select(YearlyMembership.user_id).where(
        mine, YearlyMembership.period_starts_on == period.starts_on
    )
    earlier = select(YearlyMembership.user_id).where(
        mine, YearlyMembership.period_starts_on < period.starts_on
    )
    if status == Status.PAID:
        return User.id.in_(current.where(YearlyMembership.paid_at.is_not(None)))
    if status == Status.UNPAID:
        return User.id.in_(current.where(YearlyMembership.paid_at.is_(None)))
    if status == Status.LAPSED:
        return User.id.in_(earlier) & User.id.not_in(current)
    return User.id.not_in(current) & User.id.not_in(earlier)


def all_members(group_id: int, settings: MembershipSettings | None, today: date) -> list[MemberRow]:
    """Every household of the group, for the spreadsheet (a fixed number of queries)."""
    users = list(
        db.session.scalars(_households(group_id, "").order_by(func.lower(User.name), User.id))
    )
    rows, _period = _rows(group_id, settings, today, users, None)
    return rows


def _rows(
    group_id: int,
    settings: MembershipSettings | None,
    today: date,
    users: list[User],
    user_ids: Collection[int] | None,
) -> tuple[list[MemberRow], Period | None]:
    period = period_containing(today, settings.start_month) if settings is not None else None
    current: dict[int, YearlyMembership] = {}
    earlier: set[int] = set()
    if period is not None and users:
        query = select(YearlyMembership).where(
            YearlyMembership.group_id == group_id,
            YearlyMembership.period_starts_on <= period.starts_on,
        )
        if user_ids is not None:
            query = query.where(YearlyMembership.user_id.in_(user_ids))
        for membership in db.session.scalars(query):
            if membership.period_starts_on == period.starts_on:
                current[membership.user_id] = membership
            else:
                earlier.add(membership.user_id)
    counts = {
        column.key: column.counts(group_id, user_ids) if users else {}
        for column in columns.registered()
    }
    rows = [
        MemberRow(
            user=user,
            status=status_of(current.get(user.id), user.id in earlier) if period else Status.NONE,
            current=current.get(user.id),
            counts={key: values.get(user.id, 0) for key, values in counts.items()},
        )
        for user in users
    ]
    return rows, period


def lapsed_members(group_id: int, today: date) -> list[User]:
    """The group's households whose membership lapsed: members of an earlier period who have
    not joined for the current one (still holding the member role), by name. One query
    after the settings; empty when the group has no membership."""
    settings = db.session.get(MembershipSettings, group_id)
    if settings is None:
        return []
    period = period_containing(today, settings.start_month)
    earlier = select(YearlyMembership.user_id).where(
        YearlyMembership.group_id == group_id,
        YearlyMembership.period_starts_on < period.starts_on,
    )
    current = select(YearlyMembership.user_id).where(
        YearlyMembership.group_id == group_id,
        YearlyMembership.period_starts_on == period.starts_on,
    )
    return list(
        db.session.scalars(
            _households(group_id, "")
            .where(User.id.in_(earlier), User.id.not_in(current))
            .order_by(func.lower(User.name), User.id)
        )
    )
