"""People who log in: one account per household or per staff person."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, choice_check, utcnow

LANGUAGE_CODES = ("fr", "en")


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Stored lower-case, so the unique constraint holds whatever the case typed in.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        UniqueConstraint("email"),
        choice_check("language", LANGUAGE_CODES),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_active_account: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The household's choice: its groups' news by email (essential emails always go).
    wants_group_messages: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Set by the outbox when the mail server refuses the address for good; cleared when an
    # email to it is accepted again. Coordinators see it next to the household's name.
    email_bouncing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The session this request runs in, set when the session cookie is loaded (not a column).
    session_token = None  # type: str | None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        """What the session and remember-me cookies hold: the account and its session token,
        so that ending the session (logout, password change) ends every copy of the cookie."""
        return f"{self.id}:{self.session_token or ''}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Base):
    """One logged-in device of a person: ended by deleting the row. Only a digest of the
    token is stored, so the table does not hand anyone a session."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("length(token_hash) = 64", name="token_hash_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remembered: Mapped[bool] = mapped_column(default=False, server_default=false())
    device: Mapped[str | None] = mapped_column(String(200))


class LoginLink(Base):
    """A sign-in link sent by e-mail: it works once, for a quarter of an hour. Only a digest
    of its token is stored; using it stamps `used_at` in one conditional UPDATE."""

    __tablename__ = "login_links"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("length(token_hash) = 64", name="token_hash_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
