"""A solidarity grocery's mobile shop: vans, depots, routes of stops on a recurrence, the dated
runs materialised from them, and route plans computed by the solver."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.groceries.models import Grocery

COORDINATES_IN_RANGE = "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180"


class Van(Base):
    __tablename__ = "vans"
    __table_args__ = (
        UniqueConstraint("grocery_id", "name"),
        CheckConstraint("capacity_crates > 0", name="capacity_positive"),
        CheckConstraint("capacity_kg IS NULL OR capacity_kg > 0", name="capacity_kg_positive"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity_crates: Mapped[int] = mapped_column(Integer)
    capacity_kg: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grocery: Mapped[Grocery] = relationship()


class Depot(Base):
    """Where a van starts and ends its round (the grocery's shop or warehouse)."""

    __tablename__ = "depots"
    __table_args__ = (
        UniqueConstraint("grocery_id", "name"),
        CheckConstraint(COORDINATES_IN_RANGE, name="coordinates_in_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Route(Base):
    """A round of villages on a recurrence (RRULE), valid between two dates."""

    __tablename__ = "routes"
    __table_args__ = (
        UniqueConstraint("grocery_id", "name"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity_order"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    van_id: Mapped[int] = mapped_column(ForeignKey("vans.id"), index=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)  # for public pages and feeds
    rrule: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    departs_at: Mapped[time] = mapped_column(Time)  # local time at the depot
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    van: Mapped[Van] = relationship()
    depot: Mapped[Depot] = relationship()
    grocery: Mapped[Grocery] = relationship()
    # The stops served now: retired ones keep their rows for the runs that went there, but
    # everything that looks forward reads this list. The extra condition only filters loads;
    # appending still sets route_id (and a new stop is never retired).
    stops: Mapped[list[RouteStop]] = relationship(
        primaryjoin="and_(Route.id == RouteStop.route_id, RouteStop.retired_at.is_(None))",
        back_populates="route",
        order_by="RouteStop.position",
        cascade="all, delete-orphan",
    )


class RouteStop(Base):
    """A village stop of a route, in visiting order, with its timetable (local times).

    A retired stop (retired_at set) keeps its row for the past runs' stops, pre-orders, taps
    and sales that point at it; it is left out of Route.stops and of every coming run, and its
    position is moved out of the served stops' range (see routes.remove_stop).
    """

    __tablename__ = "route_stops"
    __table_args__ = (
        UniqueConstraint("route_id", "position"),
        UniqueConstraint("id", "route_id"),
        CheckConstraint(COORDINATES_IN_RANGE, name="coordinates_in_range"),
        CheckConstraint("service_minutes BETWEEN 1 AND 480", name="service_minutes_range"),
        CheckConstraint(
            "(window_opens IS NULL) = (window_closes IS NULL)", name="window_both_or_none"
        ),
        CheckConstraint(
            "window_opens IS NULL OR window_closes > window_opens", name="window_order"
        ),
        CheckConstraint("departs_at >= arrives_at", name="departs_after_arrival"),
        CheckConstraint("length(village) > 0", name="village_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    village: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200), default="")  # "Place de l'église"
    slug: Mapped[str] = mapped_column(String(160), unique=True)  # public timetable and feed
    latitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    service_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # When the village wants the van (both or neither).
    window_opens: Mapped[time | None] = mapped_column(Time)
    window_closes: Mapped[time | None] = mapped_column(Time)
    # The timetable of every run (local times), from the accepted plan or typed by the staff.
    arrives_at: Mapped[time] = mapped_column(Time)
    departs_at: Mapped[time] = mapped_column(Time)
    # A village no longer served: kept for the runs that went there, left off coming ones.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    route: Mapped[Route] = relationship(back_populates="stops")


class RouteExceptionKind(enum.StrEnum):
    CANCELLED = "cancelled"  # a public holiday, a breakdown
    MOVED = "moved"


class RouteException(Base):
    """One occurrence of a route cancelled or moved to another date."""

    __tablename__ = "route_exceptions"
    __table_args__ = (
        UniqueConstraint("route_id", "occurrence_date"),
        choice_check("kind", [kind.value for kind in RouteExceptionKind]),
        CheckConstraint("(kind = 'moved') = (moved_to IS NOT NULL)", name="moved_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    occurrence_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    moved_to: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RouteRun(Base):
    """A dated run of a route, materialised weeks ahead by a scheduled job."""

    __tablename__ = "route_runs"
    __table_args__ = (
        UniqueConstraint("route_id", "occurrence_date"),
        choice_check("status", [status.value for status in RunStatus]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"), index=True)
    occurrence_date: Mapped[date] = mapped_column(Date)  # the date the rule produced
    day: Mapped[date] = mapped_column(Date, index=True)  # differs when the run was moved
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.SCHEDULED.value)
    # Staff's reason as typed; or the timetable's own note in French, with its kind
    # (`note_key`), written in the reader's language (routes.run_notes).
    note: Mapped[str] = mapped_column(String(200), default="")
    note_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    route: Mapped[Route] = relationship()
    stops: Mapped[list[RunStop]] = relationship(
        back_populates="run", order_by="RunStop.position", cascade="all, delete-orphan"
    )


class RunStop(Base):
    """A stop of a dated run with its instants (UTC), copied from the route's timetable."""

    __tablename__ = "run_stops"
    __table_args__ = (
        UniqueConstraint("run_id", "stop_id"),
        CheckConstraint("departs_at >= arrives_at", name="departs_after_arrival"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("route_runs.id", ondelete="CASCADE"), index=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    arrives_at: Mapped[datetime] = mapped_column(UTCDateTime)
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime)

    run: Mapped[RouteRun] = relationship(back_populates="stops")
    stop: Mapped[RouteStop] = relationship()


class RoutePlan(Base):
    """A visiting order computed by the solver, shown to the staff until they accept it."""

    __tablename__ = "route_plans"
    __table_args__ = (
        CheckConstraint("drive_minutes >= 0", name="drive_minutes_not_negative"),
        CheckConstraint("naive_drive_minutes >= 0", name="naive_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    solver: Mapped[str] = mapped_column(String(40))  # "pyvrp 0.14"
    time_budget_seconds: Mapped[int] = mapped_column(Integer)
    drive_minutes: Mapped[int] = mapped_column(Integer)
    naive_drive_minutes: Mapped[int] = mapped_column(Integer)  # stops in their entered order
    # JSON: [{"stop_id", "arrives", "departs"}...] in visiting order, and the unserved stop ids.
    visits_json: Mapped[str] = mapped_column(Text)
    unserved_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()
