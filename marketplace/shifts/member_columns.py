"""The shifts a household has done, a column of the group's members page (membership/columns)."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.membership.columns import MemberColumn
from marketplace.shifts.models import ShiftSignup, ShiftState


def shifts_done(group_id: int, user_ids: Collection[int] | None) -> dict[int, int]:
    """Shifts held on the group's past days (not marked absent), per person, in one query."""
    query = (
        select(ShiftSignup.user_id, func.count(ShiftSignup.id))
        .join(DistributionDay, DistributionDay.id == ShiftSignup.distribution_day_id)
        .where(
            DistributionDay.group_id == group_id,
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.starts_at < utcnow(),
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
            ShiftSignup.attended.is_not(False),
        )
        .group_by(ShiftSignup.user_id)
    )
    if user_ids is not None:
        query = query.where(ShiftSignup.user_id.in_(user_ids))
    return {user_id: count for user_id, count in db.session.execute(query)}


SHIFTS_COLUMN = MemberColumn("shifts", lambda: _("Permanences faites"), shifts_done)
