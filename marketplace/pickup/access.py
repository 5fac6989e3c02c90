"""Who may see and tick a day's checklist: the day's volunteers (on the shift roster), the
group's coordinators, and site administrators. Nobody else, not even other members."""

from __future__ import annotations

from flask import abort
from sqlalchemy import exists, or_, select

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
    coordinates = exists().where(
        Membership.user_id == user.id,
        Membership.organisation_id == day.group_id,
        Membership.role == Role.COORDINATOR.value,
    )
    on_duty = exists().where(
        ShiftSignup.user_id == user.id,
        ShiftSignup.distribution_day_id == day.id,
        ShiftSignup.state == ShiftState.SIGNED_UP.value,
    )
    return bool(db.session.scalar(select(or_(coordinates, on_duty))))


def require_checklist_access(user: User, day: DistributionDay) -> None:
    """403 for anyone who is not on the day's roster nor coordinates the group."""
    if not may_use_checklist(user, day):
        abort(403)
