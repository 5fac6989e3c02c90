"""Pickup points and the distribution calendar of each AMAP group.

A calendar rule (an RRULE at a pickup point, with opening hours and an order window) is
materialised into dated distribution days some weeks ahead, so that baskets, orders and
volunteer shifts can hang on real rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.groups.models import Group
from marketplace.organisations.models import OrganisationKind


def _group_reference(column: str = "group_id") -> tuple:
    """A foreign key to organisations that also pins the kind to 'group'."""
    return (
        ForeignKeyConstraint(
            [column, "group_kind"], ["organisations.id", "organisations.kind"], ondelete="CASCADE"
        ),
        CheckConstraint(f"group_kind = '{OrganisationKind.GROUP}'", name="is_group"),
    )


class PickupPoint(Base):
    __tablename__ = "pickup_points"
    __table_args__ = (
        *_group_reference(),
        UniqueConstraint("group_id", "name"),
        UniqueConstraint("id", "group_id"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(index=True)
    group_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.GROUP.value)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    access_notes: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()


class DistributionSchedule(Base):
    """A recurring distribution at one pickup point (e.g. every Tuesday 18:00-19:30)."""

    __tablename__ = "distribution_schedules"
    __table_args__ = (
        *_group_reference(),
        ForeignKeyConstraint(
            ["pickup_point_id", "group_id"], ["pickup_points.id", "pickup_points.group_id"]
        ),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("order_closes_days_before >= 0", name="closes_not_after_day"),
        CheckConstraint(
            "order_opens_days_before > order_closes_days_before OR "
            "(order_opens_days_before = order_closes_days_before "
            "AND order_opens_time < order_closes_time)",
            name="window_opens_before_closing",
        ),
        CheckConstraint(
            "order_closes_days_before > 0 OR order_closes_time <= start_time",
            name="window_closes_before_start",
        ),
        CheckConstraint("length(rrule) > 0", name="rrule_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(index=True)
    group_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.GROUP.value)
    pickup_point_id: Mapped[int] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    # RFC 5545 recurrence rule without DTSTART (e.g. "FREQ=WEEKLY;BYDAY=TU").
    rrule: Mapped[str] = mapped_column(String(500))
    starts_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    order_opens_days_before: Mapped[int] = mapped_column(Integer, default=7)
    order_opens_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    order_closes_days_before: Mapped[int] = mapped_column(Integer, default=2)
    order_closes_time: Mapped[time] = mapped_column(Time, default=time(20, 0))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # No distribution on French public holidays (an exception on that date still wins).
    skip_public_holidays: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pickup_point: Mapped[PickupPoint] = relationship(
        foreign_keys=[pickup_point_id], overlaps="group"
    )
    group: Mapped[Group] = relationship(foreign_keys=[group_id], overlaps="pickup_point")
    exceptions: Mapped[list[ScheduleException]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by="ScheduleException.occurrence_date",
    )


class ExceptionKind(enum.StrEnum):
    CANCELLED = "cancelled"
    MOVED = "moved"


class ScheduleException(Base):
    """One occurrence of a rule cancelled or moved (public holiday, village fête...)."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence_date"),
        choice_check("kind", [kind.value for kind in ExceptionKind]),
        CheckConstraint(
            "(kind = 'moved' AND moved_to IS NOT NULL) "
            "OR (kind = 'cancelled' AND moved_to IS NULL)",
            name="moved_has_date",
        ),
        CheckConstraint(
            "start_time IS NULL OR end_time IS NULL OR end_time > start_time",
            name="ends_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_schedules.id", ondelete="CASCADE"), index=True
    )
    occurrence_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    moved_to: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(200), default="")

    schedule: Mapped[DistributionSchedule] = relationship(back_populates="exceptions")


class DayStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class DistributionDay(Base):
    """A dated distribution: when and where households collect, and when orders are taken."""

    __tablename__ = "distribution_days"
    __table_args__ = (
        *_group_reference(),
        ForeignKeyConstraint(
            ["pickup_point_id", "group_id"], ["pickup_points.id", "pickup_points.group_id"]
        ),
        UniqueConstraint("schedule_id", "occurrence_date"),
        choice_check("status", [status.value for status in DayStatus]),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("order_opens_at < order_closes_at", name="window_opens_before_closing"),
        CheckConstraint("order_closes_at <= starts_at", name="window_closes_before_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(index=True)
    group_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.GROUP.value)
    pickup_point_id: Mapped[int] = mapped_column(index=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_schedules.id", ondelete="RESTRICT"), index=True
    )
    # The date the rule produced; `day` differs from it when the occurrence was moved.
    occurrence_date: Mapped[date] = mapped_column(Date)
    day: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=DayStatus.SCHEDULED.value)
    # A coordinator's reason as typed; or the calendar's own note, in French, with its kind and
    # parameters (`note_key`, `note_params`) written in the reader's language (delivery.day_notes).
    note: Mapped[str] = mapped_column(String(200), default="")
    note_key: Mapped[str | None] = mapped_column(String(40))
    note_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pickup_point: Mapped[PickupPoint] = relationship(
        foreign_keys=[pickup_point_id], overlaps="group"
    )
    group: Mapped[Group] = relationship(foreign_keys=[group_id], overlaps="pickup_point")
    schedule: Mapped[DistributionSchedule] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.status == DayStatus.CANCELLED

    def order_window_open(self, now: datetime) -> bool:
        return not self.is_cancelled and self.order_opens_at <= now < self.order_closes_at
