"""A person's feed token: shown on their page, renewed at will, found in constant time.

token = base64url(HMAC-SHA256(SECRET_KEY, "calendar-feed:<user id>:<nonce>")); the table holds
the nonce and the token's SHA-256. A token is looked up by its digest (an index lookup leaks
nothing of the secret) and checked again with hmac.compare_digest. Services flush, never commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.feeds.models import CalendarFeedToken
from marketplace.unique import AlreadyCreatedError, insert_once

TOKEN_LENGTH = 43  # 32 bytes in base64url, without padding


def _token(user_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_row(user: User) -> CalendarFeedToken:
    nonce = secrets.token_urlsafe(32)
    return CalendarFeedToken(
        user_id=user.id,
        nonce=nonce,
        token_hash=_digest(_token(user.id, nonce)),
        created_at=utcnow(),
    )


def token_of(user: User) -> str:
    """The person's current token, made on first use (a double click keeps the first)."""
    query = select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id)
    row = db.session.scalar(query)
    if row is None:
        try:
            row = insert_once(_new_row(user), "", existing=lambda: db.session.scalar(query))
        except AlreadyCreatedError as error:
            row = error.existing
    return _token(row.user_id, row.nonce)


def renew_token(user: User) -> str:
    """A new token: every address made with the old one stops working."""
    db.session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    row = _new_row(user)
    db.session.add(row)
    db.session.flush()
    return _token(row.user_id, row.nonce)


def user_for_token(token: str) -> User | None:
    """The active person a feed token belongs to, or None (the view answers 404)."""
    if not token or len(token) != TOKEN_LENGTH:
        return None
    row = db.session.execute(
        select(CalendarFeedToken, User)
        .join(User, User.id == CalendarFeedToken.user_id)
        .where(CalendarFeedToken.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    found, user = row
    if not hmac.compare_digest(_token(found.user_id, found.nonce), token) or not user.is_active:
        return None
    return user
