"""The outbox: one row per email and recipient, written in the transaction that decided to
send it, so an email exists only if that transaction commits."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, true
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, choice_check, utcnow


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by one worker; a stale claim is taken back
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # given up after OUTBOX_MAX_ATTEMPTS temporary failures
    BOUNCED = "bounced"  # refused for good (a 5xx answer about the recipient)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        choice_check("status", [status.value for status in OutboxStatus]),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("length(to_address) > 0", name="to_address_not_empty"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at_when_sent"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    essential: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The whole rendered message (headers, text, HTML, attachments), as the SMTP server gets it.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(
        String(10), default=OutboxStatus.QUEUED.value, server_default=OutboxStatus.QUEUED.value
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to {self.to_address}>"
