"""The secret in a person's calendar feed addresses: one per person, renewed at will."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow


class CalendarFeedToken(Base):
    """The token of a person's feed addresses. The address's token is an HMAC of a random
    nonce under the app's secret key, so the page can show it again while the table alone
    gives nobody a feed; it is found by its SHA-256. Renewing draws a new nonce, so every old
    address answers 404 at once."""

    __tablename__ = "calendar_feed_tokens"
    __table_args__ = (
        UniqueConstraint("user_id"),
        UniqueConstraint("token_hash"),
        CheckConstraint("length(token_hash) = 64", name="token_hash_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(43))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
