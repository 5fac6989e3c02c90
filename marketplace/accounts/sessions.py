"""Logged-in sessions: one row per device, so that a session can be ended for good.

A session cookie (and the remember-me cookie) holds `<user id>:<token>`; the row stores the
token's SHA-256. Deleting the row ends every copy of the cookie: logout ends this one, a
password change or reset ends the others, and a person can end any of theirs.
Services flush and never commit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select

from marketplace.accounts.models import User, UserSession
from marketplace.db import utcnow
from marketplace.extensions import db

DEVICE_MAX_LENGTH = 200


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(remember: bool) -> timedelta:
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_MAX_AGE"]


def open_session(user: User, *, remember: bool, device: str | None = None) -> str:
    """A new session for `user`; its token is set on the user for Flask-Login's cookies."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    device = "".join(char for char in (device or "") if char.isprintable()).strip()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + lifetime(remember),
            remembered=remember,
            device=device[:DEVICE_MAX_LENGTH] or None,
        )
    )
    db.session.flush()
    user.session_token = token
    return token


def user_for_cookie(cookie_id: str) -> User | None:
    """The active person a session cookie names, if their session is still open."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token:
        return None
    row = db.session.execute(_session_and_user(), {"token_hash": _digest(token)}).first()
    if row is None:
        return None
    found, user = row
    if not hmac.compare_digest(str(found.user_id), user_id) or found.expires_at <= utcnow():
        return None
    user.session_token = token
    return user


@functools.cache
def _session_and_user():
    """Built once: every request of a logged-in person runs it."""
    return (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == bindparam("token_hash"))
    )


def current_session_id(user: User) -> int | None:
    if not user.session_token:
        return None
    return db.session.scalar(
        select(UserSession.id).where(UserSession.token_hash == _digest(user.session_token))
    )


def sessions_of(user: User) -> list[UserSession]:
    """The person's open sessions, the newest first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        )
    )


def end_session(user: User, session_id: int) -> bool:
    """End one of the person's own sessions; False if there is no such session of theirs."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    db.session.flush()
    return bool(result.rowcount)


def end_current_session(user: User) -> None:
    if user.session_token:
        db.session.execute(
            delete(UserSession).where(UserSession.token_hash == _digest(user.session_token))
        )
        db.session.flush()


def end_other_sessions(user: User) -> int:
    """End every session of the person but this one (every one outside a session)."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if user.session_token:
        query = query.where(UserSession.token_hash != _digest(user.session_token))
    result = db.session.execute(query)
    db.session.flush()
    return result.rowcount or 0


def end_all_sessions(user: User) -> int:
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.flush()
    return result.rowcount or 0


def forget_expired_sessions() -> int:
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at <= utcnow()))
    db.session.flush()
    return result.rowcount or 0
