"""A message written to a segment of a group, and who it went to (each with its email)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, utcnow
from marketplace.outbox.models import OutboxMessage

SUBJECT_MAX = 150
BODY_MAX = 5000


class GroupMessage(Base):
    __tablename__ = "group_messages"
    __table_args__ = (
        CheckConstraint("length(subject) > 0", name="subject_not_empty"),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Written by a producer's staff to the subscribers of its contract (else: a coordinator).
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    segment: Mapped[str] = mapped_column(String(40))
    segment_value: Mapped[int | None] = mapped_column()
    # Who it was for, in words, as it read when sent ("Abonnés du contrat Légumes").
    audience: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(String(BODY_MAX))
    essential: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    author: Mapped[User] = relationship()


class MessageRecipient(Base):
    """One household the message was for; `outbox_id` is its email (None: the household
    stopped group messages and this one was not essential)."""

    __tablename__ = "message_recipients"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("group_messages.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))

    message: Mapped[GroupMessage] = relationship()
    user: Mapped[User] = relationship()
    email: Mapped[OutboxMessage | None] = relationship()
