"""Who is on a distribution day's roster: read by the pickup checklist and day closing.

Each function runs one query; they never change anything.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from marketplace.extensions import db
from marketplace.shifts.models import ShiftSignup, ShiftState


def on_duty(user_id: int, distribution_day_id: int) -> bool:
    """True when the person is signed up for that day, in any role."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ShiftSignup.user_id == user_id,
                    ShiftSignup.distribution_day_id == distribution_day_id,
                    ShiftSignup.state == ShiftState.SIGNED_UP.value,
                )
            )
        )
    )


def is_lead(user_id: int, distribution_day_id: int) -> bool:
    """True when the person is a lead volunteer of that day."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ShiftSignup.user_id == user_id,
                    ShiftSignup.distribution_day_id == distribution_day_id,
                    ShiftSignup.state == ShiftState.SIGNED_UP.value,
                    ShiftSignup.is_lead.is_(True),
                )
            )
        )
    )


def leads(distribution_day_id: int) -> list[ShiftSignup]:
    """The day's lead volunteers (with their user loaded), in sign-up order."""
    return list(
        db.session.scalars(
            select(ShiftSignup)
            .options(joinedload(ShiftSignup.user))
            .where(
                ShiftSignup.distribution_day_id == distribution_day_id,
                ShiftSignup.state == ShiftState.SIGNED_UP.value,
                ShiftSignup.is_lead.is_(True),
            )
            .order_by(ShiftSignup.created_at, ShiftSignup.id)
        )
    )
