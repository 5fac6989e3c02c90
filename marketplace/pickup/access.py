"""Who may see and tick a day's checklist: the day's volunteers (on the shift roster), the
group's coordinators, and site administrators. Nobody else, not even other members."""

from __future__ import annotations

from flask import abort

from marketplace.accounts.models import User
from marketplace.delivery.models import DistributionDay
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role
from marketplace.shifts.roster import on_duty


def may_use_checklist(user: User, day: DistributionDay) -> bool:
    if not user or not user.is_authenticated:
        return False
    if has_role(user, day.group, Role.COORDINATOR):
        return True
    return on_duty(user.id, day.id)


def require_checklist_access(user: User, day: DistributionDay) -> None:
    """403 for anyone who is not on the day's roster nor coordinates the group."""
    if not may_use_checklist(user, day):
        abort(403)
