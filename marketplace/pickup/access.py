"""Who may see and tick a day's checklist: the day's volunteers (on the shift roster), the
group's coordinators, and site administrators. Nobody else, not even other members."""

from __future__ import annotations

import functools

from flask import abort
from sqlalchemy import ColumnElement, bindparam, exists, or_, select

from marketplace.accounts.models import User
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Role
from marketplace.shifts.models import ShiftSignup, ShiftState


def may_use_checklist(user: User, day: DistributionDay) -> bool:
    """One query (none for a site administrator): coordinator of the day's group, or on the
    day's roster. Nothing is loaded, not even the group."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return bool(db.session.scalar(select(checklist_access(user.id, day.group_id, day.id))))


def checklist_access(user_id, group_id, day_id) -> ColumnElement[bool]:
    """Whether the person coordinates the group or is on the day's roster: values or columns
    (to read it with the day itself)."""
    coordinates = exists().where(
        Membership.user_id == user_id,
        Membership.organisation_id == group_id,
        Membership.role == Role.COORDINATOR.value,
    )
    on_duty = exists().where(
        ShiftSignup.user_id == user_id,
        ShiftSignup.distribution_day_id == day_id,
        ShiftSignup.state == ShiftState.SIGNED_UP.value,
    )
    return or_(coordinates, on_duty)


def find_day_for(user: User, day_id: int) -> tuple[DistributionDay | None, bool]:
    """The day and whether the person may use its checklist, in one query (none for a site
    administrator whose session already holds the day)."""
    if not user or not user.is_authenticated:
        return db.session.get(DistributionDay, day_id), False
    if user.is_admin:
        day = db.session.get(DistributionDay, day_id)
        return day, day is not None
    row = db.session.execute(_day_with_access(), {"day_id": day_id, "user_id": user.id}).first()
    return (row[0], bool(row[1])) if row is not None else (None, False)


@functools.cache
def _day_with_access():
    """Built once: constructing the statement costs more than running it."""
    day_id = bindparam("day_id")
    allowed = checklist_access(bindparam("user_id"), DistributionDay.group_id, DistributionDay.id)
    return select(DistributionDay, allowed).where(DistributionDay.id == day_id)


def require_checklist_access(user: User, day: DistributionDay) -> None:
    """403 for anyone who is not on the day's roster nor coordinates the group."""
    if not may_use_checklist(user, day):
        abort(403)
