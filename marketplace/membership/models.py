"""A group's yearly membership (adhésion): its settings and each household's membership.

A household is a member of a group for one period (a calendar year, or a season starting on a
given month); one row per household, group and period (a unique constraint), whose fee is
booked in the ledger once: a commitment when it joins, a payment when the money comes in
(both carry an external reference naming the membership, unique per group).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow

LEVEL_NAME_MAX = 60
BANK_MAX, CHEQUE_NUMBER_MAX = 80, 40


class Pricing(enum.StrEnum):
    FIXED = "fixed"  # one amount
    FREE = "free"  # free price, at least the minimum
    SLIDING = "sliding"  # named levels, each with its amount (sliding scale)


class FeeMethod(enum.StrEnum):
    CHEQUE = "cheque"
    CASH = "cash"
    TRANSFER = "transfer"
    CARD = "card"  # paid online by the household itself (cards/fees.py)


# What a coordinator records by hand.
RECORDED_METHODS = (FeeMethod.CHEQUE, FeeMethod.CASH, FeeMethod.TRANSFER)


class MembershipSettings(Base):
    """How a group's membership works; a group without a row has no membership."""

    __tablename__ = "membership_settings"
    __table_args__ = (
        choice_check("pricing", [value.value for value in Pricing]),
        CheckConstraint("start_month BETWEEN 1 AND 12", name="start_month_range"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("remind_days_before BETWEEN 1 AND 90", name="remind_days_range"),
    )

    group_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # 1: the calendar year; 9: a season from September to August.
    start_month: Mapped[int] = mapped_column(Integer, default=1)
    pricing: Mapped[str] = mapped_column(String(10), default=Pricing.FIXED.value)
    # The fixed amount, or the free price's minimum (unused for a sliding scale).
    amount_cents: Mapped[int] = mapped_column(Integer, default=1000)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    remind_days_before: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    levels: Mapped[list[MembershipLevel]] = relationship(
        order_by="MembershipLevel.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class MembershipLevel(Base):
    """One level of a sliding scale (e.g. « Solidaire » 5 €, « Standard » 15 €)."""

    __tablename__ = "membership_levels"
    __table_args__ = (
        UniqueConstraint("group_id", "position"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("membership_settings.group_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(LEVEL_NAME_MAX))
    amount_cents: Mapped[int] = mapped_column(Integer)


class YearlyMembership(Base):
    """A household's membership of a group for one period, and how its fee was paid.

    The object a receipt (and later a numbered invoice) refers to."""

    __tablename__ = "yearly_memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "group_id", "period_starts_on"),
        CheckConstraint("period_ends_on > period_starts_on", name="period_order"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        choice_check("method", [value.value for value in FeeMethod]),
        CheckConstraint("(paid_at IS NULL) = (method IS NULL)", name="paid_has_method"),
        CheckConstraint(
            "method IS NULL OR method <> 'cheque' OR (bank <> '' AND cheque_number <> '')",
            name="cheque_has_number",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    period_starts_on: Mapped[date] = mapped_column(Date, index=True)
    period_ends_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    level_name: Mapped[str] = mapped_column(String(LEVEL_NAME_MAX), default="")
    method: Mapped[str | None] = mapped_column(String(20))
    bank: Mapped[str] = mapped_column(String(BANK_MAX), default="")
    cheque_number: Mapped[str] = mapped_column(String(CHEQUE_NUMBER_MAX), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def commitment_reference(self) -> str:
        return f"adhesion-{self.id}"

    @property
    def payment_reference(self) -> str:
        return f"adhesion-{self.id}-paid"
