"""Producers' products and what they offer each week to each group they supply.

Quantities are integers in thousandths of the product's unit (`*_milli`): 1 500 is 1.5 kg or
one and a half litres; a piece, a bunch or a jar only ever takes whole thousands. Integers keep
the stock arithmetic exact in the database, where it is reserved atomically.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.producers.models import Producer

MILLI = 1000  # thousandths in one unit


class Unit(enum.StrEnum):
    PIECE = "piece"
    KG = "kg"
    BUNCH = "botte"
    LITRE = "litre"
    JAR = "bocal"
    DOZEN = "douzaine"
    TRAY = "barquette"

    @property
    def divisible(self) -> bool:
        """Sold by weight or volume: a fraction (0.5 kg) makes sense."""
        return self in (Unit.KG, Unit.LITRE)


# Not a catalogue unit: a whole subscribed basket, as donated when a pickup day closes and
# then kept in a grocery's stock. Counted like a piece.
BASKET_UNIT = "panier"


class Category(enum.StrEnum):
    VEGETABLES = "legumes"
    FRUITS = "fruits"
    BREAD = "pain"
    CHEESE = "fromage"
    DAIRY = "laitier"
    MEAT = "viande"
    EGGS = "oeufs"
    HONEY = "miel"
    DRINKS = "boissons"
    GROCERY = "epicerie"


class Product(Base):
    """An item of a producer's catalogue, with its usual price per unit."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("producer_id", "name"),
        UniqueConstraint("id", "producer_id"),
        choice_check("unit", [unit.value for unit in Unit]),
        choice_check("category", [category.value for category in Category]),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        # VAT in basis points: 0 %, 5,5 %, 10 % or 20 % (printed on invoices).
        CheckConstraint("vat_rate_bp IN (0, 550, 1000, 2000)", name="vat_rate_bp_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20))
    price_cents: Mapped[int] = mapped_column(Integer)  # per unit
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=550, server_default="550")
    # Space-separated label codes from producers.models.LABELS (e.g. "ab").
    labels: Mapped[str] = mapped_column(String(200), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship()
    photo: Mapped[ProductPhoto | None] = relationship(
        back_populates="product", cascade="all, delete-orphan", uselist=False
    )

    @property
    def unit_kind(self) -> Unit:
        return Unit(self.unit)

    @property
    def label_codes(self) -> list[str]:
        return self.labels.split()


class ProductPhoto(Base):
    """A product's photo, checked and re-encoded on upload, kept apart from the product row."""

    __tablename__ = "product_photos"
    __table_args__ = (
        choice_check("content_type", ["image/jpeg", "image/png", "image/webp"]),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="photo")


class Availability(Base):
    """What a producer offers of one product to one group for one distribution date.

    Stock is shared by the group's pickup points on that date. `reserved_milli` only moves
    through one conditional UPDATE (see shop/stock.py), and the CHECK below is the last guard:
    the database refuses to sell more than is available.
    """

    __tablename__ = "availabilities"
    __table_args__ = (
        UniqueConstraint("product_id", "group_id", "day"),
        # The shop and its cache version read one group's date, not its whole history.
        Index("ix_availabilities_group_id_day", "group_id", "day"),
        ForeignKeyConstraint(
            ["product_id", "producer_id"], ["products.id", "products.producer_id"]
        ),
        # The producer must supply the group.
        ForeignKeyConstraint(
            ["producer_id", "group_id"],
            ["producer_supplies_group.producer_id", "producer_supplies_group.group_id"],
        ),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint(
            "quantity_milli IS NULL OR quantity_milli >= 0", name="quantity_not_negative"
        ),
        CheckConstraint("reserved_milli >= 0", name="reserved_not_negative"),
        CheckConstraint(
            "quantity_milli IS NULL OR reserved_milli <= quantity_milli", name="never_oversold"
        ),
        CheckConstraint(
            "max_per_household_milli IS NULL OR max_per_household_milli > 0",
            name="max_per_household_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(index=True)
    producer_id: Mapped[int] = mapped_column(index=True)
    group_id: Mapped[int] = mapped_column(index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    quantity_milli: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    reserved_milli: Mapped[int] = mapped_column(Integer, default=0)
    price_cents: Mapped[int] = mapped_column(Integer)  # per unit, defaults from the catalogue
    max_per_household_milli: Mapped[int | None] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(foreign_keys=[product_id])

    @property
    def remaining_milli(self) -> int | None:
        if self.quantity_milli is None:
            return None
        return self.quantity_milli - self.reserved_milli
