"""Accounts anonymised, on request or after years without a sign-in, for their coordinators."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, choice_check, utcnow


class DeletionReason(enum.StrEnum):
    REQUEST = "request"  # the person asked
    INACTIVE = "inactive"  # nobody signed in for ACCOUNT_INACTIVE_DAYS


class AccountDeletion(Base):
    """One row per group the person belonged to (one with no group if none), so that each
    group's coordinators see who left. The former name is kept for DELETION_NOTICE_DAYS
    only, then cleared by the nightly job."""

    __tablename__ = "account_deletions"
    __table_args__ = (choice_check("reason", tuple(DeletionReason)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    former_name: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
