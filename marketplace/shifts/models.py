"""Volunteer shifts (permanences) of an AMAP group's distribution days."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.delivery.models import DistributionDay


class VolunteerRole(Base):
    """A task of every distribution day (ouverture, émargement, rangement) and how many
    people it needs."""

    __tablename__ = "volunteer_roles"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint("needed_per_day >= 1", name="needed_positive"),
        CheckConstraint("cancel_cutoff_hours >= 0", name="cutoff_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    needed_per_day: Mapped[int] = mapped_column(Integer, default=1)
    # Volunteers may cancel themselves until this many hours before the day starts.
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=48)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShiftState(enum.StrEnum):
    SIGNED_UP = "signed_up"
    CANCELLED = "cancelled"


class ShiftSignup(Base):
    """A person on a distribution day's roster for one role."""

    __tablename__ = "shift_signups"
    __table_args__ = (
        Index(
            "uq_shift_signups_live",
            "distribution_day_id",
            "role_id",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'signed_up'"),
            postgresql_where=text("state = 'signed_up'"),
        ),
        choice_check("state", [state.value for state in ShiftState]),
        CheckConstraint(
            "(state = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), index=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("volunteer_roles.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ShiftState.SIGNED_UP.value)
    # The lead volunteer of the day records attendance and may close the day.
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Recorded after the day: True came, False did not, None not recorded yet.
    attended: Mapped[bool | None] = mapped_column(Boolean)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    distribution_day: Mapped[DistributionDay] = relationship()
    role: Mapped[VolunteerRole] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class StaffingAlert(Base):
    """An understaffed day was announced (once per day, whatever the job's retries)."""

    __tablename__ = "staffing_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="CASCADE"), unique=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
