"""A solidarity grocery's beneficiaries, its stock, and the pre-orders of its mobile shop.

Eligibility (who may buy, at which share of the shelf price) is private: only the grocery's
staff see it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalogue.models import BASKET_UNIT, Category, Unit
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.routes.models import RunStop


class Beneficiary(Base):
    """A household allowed to buy at the grocery, at `tier_percent` of the shelf price."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        CheckConstraint("tier_percent BETWEEN 1 AND 100", name="tier_percent_range"),
        CheckConstraint("valid_until >= valid_from", name="validity_order"),
        CheckConstraint("length(household_name) > 0", name="name_not_empty"),
        # A person's account is linked once per grocery.
        Index(
            "uq_beneficiaries_user_per_grocery",
            "grocery_id",
            "user_id",
            unique=True,
            sqlite_where=text("user_id IS NOT NULL"),
            postgresql_where=text("user_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    household_name: Mapped[str] = mapped_column(String(120))
    # An account lets the household pre-order itself; staff may also order for it by phone.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    phone: Mapped[str] = mapped_column(String(30), default="")
    tier_percent: Mapped[int] = mapped_column(Integer)  # 10, 30, 50... of the shelf price
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    referrer: Mapped[str] = mapped_column(String(160), default="")  # social services, a charity
    notes: Mapped[str] = mapped_column(Text, default="")  # private to the grocery's staff
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def eligible_on(self, day: date) -> bool:
        return not self.archived and self.valid_from <= day <= self.valid_until


class StockSource(enum.StrEnum):
    PURCHASE = "purchase"  # bought from a producer of the territory
    DONATION = "donation"  # given: baskets not collected on a pickup day, a shop's surplus...


class StockItem(Base):
    """A lot of one product in the grocery's stock, with its shelf price per unit.

    Quantities are thousandths of the unit, as in the catalogue; `reserved_milli` only moves
    through one conditional UPDATE, and the CHECK never_oversold is the last guard."""

    __tablename__ = "stock_items"
    __table_args__ = (
        choice_check("unit", [unit.value for unit in Unit] + [BASKET_UNIT]),
        choice_check("category", [category.value for category in Category]),
        choice_check("source", [source.value for source in StockSource]),
        CheckConstraint("quantity_milli >= 0", name="quantity_not_negative"),
        CheckConstraint("reserved_milli >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved_milli <= quantity_milli", name="never_oversold"),
        CheckConstraint("shelf_price_cents >= 0", name="price_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    quantity_milli: Mapped[int] = mapped_column(Integer)
    reserved_milli: Mapped[int] = mapped_column(Integer, default=0)
    shelf_price_cents: Mapped[int] = mapped_column(Integer)  # per unit, before the tier
    source: Mapped[str] = mapped_column(String(20))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    # A donation from an AMAP pickup day arrives once.
    donated_item_id: Mapped[int | None] = mapped_column(ForeignKey("donated_items.id"), unique=True)
    # A purchase from a producer's weekly availability (a line of the grocery's shop order)
    # enters the stock once.
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_order_lines.id"), unique=True
    )
    received_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def available_milli(self) -> int:
        return self.quantity_milli - self.reserved_milli


class PreOrderStatus(enum.StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


class PreOrder(Base):
    """A beneficiary's pre-order for one stop of a coming run of the van."""

    __tablename__ = "pre_orders"
    __table_args__ = (
        Index(
            "uq_pre_orders_live_per_stop",
            "beneficiary_id",
            "run_stop_id",
            unique=True,
            sqlite_where=text("status = 'placed'"),
            postgresql_where=text("status = 'placed'"),
        ),
        choice_check("status", [status.value for status in PreOrderStatus]),
        choice_check("pickup_state", ["pending", "collected", "not_collected"]),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint("tier_percent BETWEEN 1 AND 100", name="tier_percent_range"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    run_stop_id: Mapped[int] = mapped_column(ForeignKey("run_stops.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PreOrderStatus.PLACED.value)
    tier_percent: Mapped[int] = mapped_column(Integer)  # the tier when it was ordered
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    pickup_state: Mapped[str] = mapped_column(String(20), default="pending")
    pickup_note: Mapped[str] = mapped_column(String(300), default="")  # from the stop's checklist
    # The run's new day the household was told about when the run was moved (told once per move).
    moved_notice_for: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # staff or the household
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    beneficiary: Mapped[Beneficiary] = relationship()
    run_stop: Mapped[RunStop] = relationship()
    lines: Mapped[list[PreOrderLine]] = relationship(
        back_populates="pre_order", cascade="all, delete-orphan", order_by="PreOrderLine.id"
    )


class PreOrderLine(Base):
    __tablename__ = "pre_order_lines"
    __table_args__ = (
        UniqueConstraint("pre_order_id", "stock_item_id"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_order_id: Mapped[int] = mapped_column(
        ForeignKey("pre_orders.id", ondelete="CASCADE"), index=True
    )
    stock_item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id"), index=True)
    quantity_milli: Mapped[int] = mapped_column(Integer)
    shelf_price_cents: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)  # after the tier, rounded to the cent
    total_cents: Mapped[int] = mapped_column(Integer)

    pre_order: Mapped[PreOrder] = relationship(back_populates="lines")
    stock_item: Mapped[StockItem] = relationship()


class RunClosing(Base):
    """A run of the van closed: collected pre-orders left the stock, the others went back on
    the shelf. Inserted once per run (the unique run_id), in the transaction that settles."""

    __tablename__ = "run_closings"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("route_runs.id"), unique=True)
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when the scheduler closed it after the run's day.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_count: Mapped[int] = mapped_column(Integer, default=0)
    released_count: Mapped[int] = mapped_column(Integer, default=0)


class WalkInSale(Base):
    """A sale at a stop to someone who had not pre-ordered, recorded on the staff's phone (maybe
    offline) with an id the phone made: sending it twice records it once. The stock goes down
    when it is recorded; voiding it puts the quantity back."""

    __tablename__ = "walk_in_sales"
    __table_args__ = (
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("shelf_price_cents >= 0", name="shelf_price_not_negative"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint("tier_percent BETWEEN 1 AND 100", name="tier_percent_range"),
        CheckConstraint("(voided_at IS NULL) = (voided_by_id IS NULL)", name="voided_by_someone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(String(64), unique=True)  # made by the phone
    grocery_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    run_stop_id: Mapped[int] = mapped_column(ForeignKey("run_stops.id"), index=True)
    stock_item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id"), index=True)
    # A beneficiary pays their tier; anyone else pays the shelf price (tier_percent 100).
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    quantity_milli: Mapped[int] = mapped_column(Integer)
    shelf_price_cents: Mapped[int] = mapped_column(Integer)
    tier_percent: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's clock, capped
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sold_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stock_item: Mapped[StockItem] = relationship()
    beneficiary: Mapped[Beneficiary | None] = relationship()
