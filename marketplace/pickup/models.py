"""The pickup-day checklist: volunteers' taps (synced from phones, maybe offline), the day's
closing and what was given to a solidarity grocery."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.delivery.models import DistributionDay


class TapTarget(enum.StrEnum):
    DELIVERY = "delivery"  # a subscribed basket (baskets.models.Delivery)
    ORDER = "order"  # a household's extras (shop.models.Order)
    PRE_ORDER = "pre_order"  # a mobile-grocery pre-order (grocery_shop.models.PreOrder)


class TapAction(enum.StrEnum):
    COLLECTED = "collected"
    NOT_COLLECTED = "not_collected"
    PENDING = "pending"  # undo: back to "to hand over"
    NOTE = "note"


class ChecklistTap(Base):
    """One tap on a phone, identified by the id the phone gave it: sending it twice changes
    nothing. A line's state is its latest tap by (tapped_at, tap_id), so two phones converge
    whatever order their taps arrive in.

    A tap belongs to one list: a distribution day of a group, or a stop of a mobile-grocery
    run (the same page and sync serve both)."""

    __tablename__ = "checklist_taps"
    __table_args__ = (
        choice_check("target_kind", [target.value for target in TapTarget]),
        choice_check("action", [action.value for action in TapAction]),
        CheckConstraint(
            "(distribution_day_id IS NULL) <> (run_stop_id IS NULL)", name="one_checklist"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tap_id: Mapped[str] = mapped_column(String(64), unique=True)
    distribution_day_id: Mapped[int | None] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), index=True
    )
    run_stop_id: Mapped[int | None] = mapped_column(
        ForeignKey("run_stops.id", ondelete="RESTRICT"), index=True
    )
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    tapped_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship()


class DayClosing(Base):
    """A distribution day (at its pickup point) closed: what was not collected is settled."""

    __tablename__ = "pickup_day_closings"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), unique=True
    )
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when the scheduler closed it after the day's end time.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The solidarity grocery that received what was donated, if anything was.
    grocery_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    distribution_day: Mapped[DistributionDay] = relationship()


class DonatedItem(Base):
    """Food not collected and given to a solidarity grocery, with its quantity.

    It reaches the grocery's stock as a donation record."""

    __tablename__ = "donated_items"
    __table_args__ = (
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("(delivery_id IS NULL) <> (order_line_id IS NULL)", name="one_source"),
        CheckConstraint("length(label) > 0", name="label_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), index=True
    )
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), unique=True)
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_order_lines.id"), unique=True
    )
    label: Mapped[str] = mapped_column(String(200))  # "Panier grand — Ferme du Coteau"
    # A basket's name in words: its kind and parameters, written in the reader's language at
    # display (pickup.donation_words); `label` keeps the French text. None for an extra.
    label_key: Mapped[str | None] = mapped_column(String(40))
    label_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    quantity_milli: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))  # a catalogue Unit, or "panier"
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UntickedSettlement(enum.StrEnum):
    ALL_COLLECTED = "all_collected"  # a coordinator said every basket and order was collected
    BY_HAND = "by_hand"  # ticked from the paper sign-off sheet, then closed as usual


class UntickedDay(Base):
    """A finished distribution day on which nobody ticked anything on the checklist.

    An empty checklist is no evidence that nobody came (the team may have used the paper
    sign-off sheet), so the scheduler does not close such a day: it flags it here, and the
    group's coordinators settle it, once (the row is unique per day, `settled_at` set once)."""

    __tablename__ = "pickup_unticked_days"
    __table_args__ = (
        choice_check("settlement", [value.value for value in UntickedSettlement]),
        CheckConstraint("(settled_at IS NULL) = (settlement IS NULL)", name="settled_has_how"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), unique=True
    )
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settlement: Mapped[str | None] = mapped_column(String(20))

    distribution_day: Mapped[DistributionDay] = relationship()
    settled_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.settled_at is None


class PickupReminder(Base):
    """The day-before email sent to a household about a distribution day: claimed by its row
    (unique per person and day), so a job run twice, or two at once, sends it once."""

    __tablename__ = "pickup_reminders"
    __table_args__ = (UniqueConstraint("user_id", "distribution_day_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
