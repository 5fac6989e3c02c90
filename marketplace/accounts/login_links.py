"""Signing in by an e-mailed link, instead of a password.

The link holds a random token; the table keeps its SHA-256 only. It works once (a conditional
UPDATE stamps `used_at`, so two clicks at once open one session) and for LOGIN_LINK_MAX_AGE
seconds. Asking for a link answers the same whether the address has an account or not.
Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from marketplace.accounts.models import LoginLink, User
from marketplace.accounts.services import find_user_by_email
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email

TOKEN_MAX_LENGTH = 100


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_login_link(user: User) -> str:
    """Store a new link for `user` and return its token (shown once, in the e-mail)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    max_age = timedelta(seconds=current_app.config["LOGIN_LINK_MAX_AGE"])
    db.session.add(
        LoginLink(
            user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + max_age
        )
    )
    db.session.flush()
    return token


def request_login_link(email: str) -> bool:
    """E-mail a sign-in link if an active account has this address; True when one was sent.
    A mail failure is logged, not raised: the visitor gets the same answer either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return False
    token = new_login_link(user)
    max_age = current_app.config["LOGIN_LINK_MAX_AGE"]
    try:
        with force_locale(user.language):
            send_email(
                user.email,
                _("Votre lien de connexion"),
                "email/login_link",
                user=user,
                link=absolute_url("accounts.use_login_link", token=token),
                validity=format_timedelta(timedelta(seconds=max(max_age, 60))),
            )
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Login link email to user %s failed", user.id)
        return False
    return True


def link_is_usable(token: str) -> bool:
    """Whether a link would still open a session (for the page that asks to confirm)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return False
    found = db.session.scalar(
        select(LoginLink.id).where(
            LoginLink.token_hash == _digest(token),
            LoginLink.used_at.is_(None),
            LoginLink.expires_at > utcnow(),
        )
    )
    return found is not None


def use_login_link(token: str) -> User | None:
    """The active person a link was sent to, the link now spent; None if it is unknown,
    expired or already used. The UPDATE's condition makes it single-use under concurrency."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    now = utcnow()
    user_id = db.session.scalar(
        update(LoginLink)
        .where(
            LoginLink.token_hash == _digest(token),
            LoginLink.used_at.is_(None),
            LoginLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(LoginLink.user_id)
    )
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user


def forget_old_links() -> int:
    """Links expired for a day are of no use to anyone: delete them."""
    result = db.session.execute(
        delete(LoginLink).where(LoginLink.expires_at <= utcnow() - timedelta(days=1))
    )
    db.session.flush()
    return result.rowcount or 0
