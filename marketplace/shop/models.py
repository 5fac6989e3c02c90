"""Households' à-la-carte orders of extras for a distribution day (the weekly shop)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.catalogue.models import Availability
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.delivery.models import DistributionDay


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


class PickupState(enum.StrEnum):
    """What happened at the pickup (ticked on the pickup-day checklist)."""

    PENDING = "pending"
    COLLECTED = "collected"
    NOT_COLLECTED = "not_collected"
    DONATED = "donated"  # not collected, given to the solidarity grocery when the day closed


class Order(Base):
    """A household's extras for one distribution day at its pickup point, or a solidarity
    grocery's purchase (`grocery_id` set): its staff buy from the producers' weekly
    availability like any household of the group, and collect it at the distribution."""

    __tablename__ = "shop_orders"
    __table_args__ = (
        # One live order per household and distribution day: it is edited, not duplicated.
        Index(
            "uq_shop_orders_live_per_user_day",
            "user_id",
            "distribution_day_id",
            unique=True,
            sqlite_where=text("status = 'placed' AND grocery_id IS NULL"),
            postgresql_where=text("status = 'placed' AND grocery_id IS NULL"),
        ),
        # One live purchase per grocery and day, whichever of its staff placed it.
        Index(
            "uq_shop_orders_live_per_grocery_day",
            "grocery_id",
            "distribution_day_id",
            unique=True,
            sqlite_where=text("status = 'placed' AND grocery_id IS NOT NULL"),
            postgresql_where=text("status = 'placed' AND grocery_id IS NOT NULL"),
        ),
        choice_check("status", [status.value for status in OrderStatus]),
        choice_check("pickup_state", [state.value for state in PickupState]),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), index=True
    )
    # The solidarity grocery buying, when the order is its purchase (no ledger entry: the
    # grocery settles with the producer directly); `user_id` is then the staff member.
    grocery_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PLACED.value)
    # The sum of the lines, kept with them in one transaction (what the ledger was charged).
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    pickup_state: Mapped[str] = mapped_column(String(20), default=PickupState.PENDING.value)
    pickup_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    distribution_day: Mapped[DistributionDay] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    """A product in an order, at the price the server set when it was ordered."""

    __tablename__ = "shop_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "availability_id"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents > 0", name="price_positive"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_orders.id", ondelete="CASCADE"), index=True
    )
    availability_id: Mapped[int] = mapped_column(ForeignKey("availabilities.id"), index=True)
    quantity_milli: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)  # rounded to the cent

    order: Mapped[Order] = relationship(back_populates="lines")
    availability: Mapped[Availability] = relationship()
