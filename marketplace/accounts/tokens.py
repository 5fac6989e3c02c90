"""Password-reset links: signed, timed, and dead once the password they were issued for changes."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from marketplace.accounts.models import User
from marketplace.extensions import db

RESET_SALT = "marketplace.accounts.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # A digest of the stored hash, never the hash itself: whoever holds the link can read its
    # payload. Any password change gives a new salt, so the fingerprint and the link die with it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token_for(user: User) -> str:
    return _serializer().dumps({"user": user.id, "stamp": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active account a reset link was made for, or None if it is forged, expired or used."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None
    user = db.session.get(User, payload["user"])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(_password_fingerprint(user), str(payload.get("stamp", ""))):
        return None
    return user
