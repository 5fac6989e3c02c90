"""The basket of the week: what each size of a contract holds on one distribution day, as the
producer (or a coordinator of the group) announces it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, utcnow

MAX_ITEM_NAME = 80
MAX_ITEM_QUANTITY = 40
MAX_NOTE = 500


class WeekBasket(Base):
    """One contract's announcement for one distribution day (at most one: unique)."""

    __tablename__ = "week_baskets"
    __table_args__ = (
        UniqueConstraint("offer_id", "distribution_day_id"),
        CheckConstraint(
            "(photo IS NULL) = (photo_width IS NULL) AND (photo IS NULL) = (photo_height IS NULL)",
            name="photo_has_a_size",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("basket_offers.id", ondelete="CASCADE"), index=True
    )
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")
    # A JPEG re-encoded like a product photo (catalogue/photos.py); loaded only when served.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_width: Mapped[int | None] = mapped_column(Integer)
    photo_height: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[WeekBasketItem]] = relationship(
        back_populates="week_basket",
        cascade="all, delete-orphan",
        order_by="(WeekBasketItem.size_id, WeekBasketItem.position)",
    )

    @property
    def has_photo(self) -> bool:
        return self.photo_width is not None


class WeekBasketItem(Base):
    """One line of a size's basket: « Carottes — 1 kg »."""

    __tablename__ = "week_basket_items"
    __table_args__ = (
        UniqueConstraint("week_basket_id", "size_id", "position"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week_basket_id: Mapped[int] = mapped_column(
        ForeignKey("week_baskets.id", ondelete="CASCADE"), index=True
    )
    size_id: Mapped[int] = mapped_column(
        ForeignKey("basket_sizes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(MAX_ITEM_NAME))
    quantity: Mapped[str] = mapped_column(String(MAX_ITEM_QUANTITY))

    week_basket: Mapped[WeekBasket] = relationship(back_populates="items")
