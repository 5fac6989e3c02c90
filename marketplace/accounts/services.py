"""Account operations: register, authenticate, passwords and profile.

Services flush and never commit (the view does); they raise DomainError with a message for
people, naming the form field it belongs to.
"""

from __future__ import annotations

import re
import secrets
import smtplib
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import LANGUAGE_CODES, User
from marketplace.accounts.passwords import hash_password, password_matches, password_problem
from marketplace.accounts.sessions import end_all_sessions, end_other_sessions
from marketplace.accounts.tokens import reset_token_for
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email

# The column lengths of the users table.
NAME_MAX_LENGTH = 120
EMAIL_MAX_LENGTH = 254
PHONE_PATTERN = r"^[0-9+. \-]{6,30}$"

DUPLICATE_EMAIL = _l("Un compte existe déjà avec cette adresse e-mail.")
PHONE_FORMAT_MESSAGE = _l(
    "Numéro de téléphone invalide : de 6 à 30 caractères, chiffres, espaces, points, tirets ou +."
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _checked_new_account(name: str, email: str) -> tuple[str, str]:
    """The name and address of a new account, cleaned; DomainError on a bad name or address,
    or one already taken."""
    name = _checked_name(name)
    email = normalise_email(email)
    if len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(
            _("L'adresse e-mail ne doit pas dépasser %(max)d caractères.", max=EMAIL_MAX_LENGTH),
            field="email",
        )
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(_("Cette adresse e-mail n'est pas valide."), field="email") from error
    if find_user_by_email(email) is not None:
        raise DomainError(str(DUPLICATE_EMAIL), field="email")
    return name, email


def register_user(name: str, email: str, password: str, language: str) -> User:
    name, email = _checked_new_account(name, email)
    _check_strength(password, email=email, name=name)
    user = User(
        name=name,
        email=email,
        password_hash=hash_password(password),
        language=_checked_language(language),
    )
    db.session.add(user)
    db.session.flush()
    return user


@cache
def _decoy_hash() -> str:
    return hash_password("not-a-real-account-password")


def authenticate(email: str, password: str) -> User | None:
    """The account matching these credentials (active or not), or None."""
    user = find_user_by_email(email)
    if user is None:
        # Hash anyway: an unknown address must take as long to refuse as a wrong password.
        password_matches(_decoy_hash(), password)
        return None
    return user if password_matches(user.password_hash, password) else None


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


def set_password(user: User, new: str, *, keep_current_session: bool = False) -> None:
    """A new password ends the account's sessions (but the one it is changed from, when
    asked): whoever learnt the old password, or copied a cookie, is logged out."""
    _check_strength(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    db.session.flush()
    if keep_current_session:
        end_other_sessions(user)
    else:
        end_all_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    if not password_matches(user.password_hash, current):
        raise DomainError(_("Le mot de passe actuel est incorrect."), field="current_password")
    set_password(user, new, keep_current_session=True)


def update_profile(
    user: User,
    *,
    name: str,
    phone: str | None,
    language: str,
    wants_group_messages: bool | None = None,
) -> None:
    name = _checked_name(name)
    phone = (phone or "").strip() or None
    if phone is not None and not re.fullmatch(PHONE_PATTERN, phone):
        raise DomainError(str(PHONE_FORMAT_MESSAGE), field="phone")
    language = _checked_language(language)
    user.name, user.phone, user.language = name, phone, language
    if wants_group_messages is not None:  # essential emails go whatever this says
        user.wants_group_messages = wants_group_messages
    db.session.flush()


def request_password_reset(email: str) -> bool:
    """Email a reset link if an active account has this address; True when one was sent.

    A mail server failure is logged, not raised: the visitor must get the same answer
    whether or not the account exists.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return False
    try:
        send_password_reset(user)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Password reset email to user %s failed", user.id)
        return False
    return True


def send_password_reset(user: User) -> None:
    """Send the reset link, in the person's own language."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    with force_locale(user.language):
        link = absolute_url("accounts.reset_password", token=reset_token_for(user))
        send_email(
            user.email,
            _("Choisir un nouveau mot de passe"),
            "email/password_reset",
            user=user,
            link=link,
            validity=format_timedelta(timedelta(seconds=max(max_age, 60))),
        )


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Indiquez votre nom ou celui de votre foyer."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            _("Le nom ne doit pas dépasser %(max)d caractères.", max=NAME_MAX_LENGTH), field="name"
        )
    return name


def _checked_language(language: str) -> str:
    if language not in LANGUAGE_CODES:
        raise DomainError(_("Choisissez une langue proposée."), field="language")
    return language


def _check_strength(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise DomainError(problem, field="password")


# An account made for someone else (an invitation): no password matches it until its owner
# chooses one through the set-your-password link (werkzeug refuses a hash without "$").
UNUSABLE_PASSWORD_PREFIX = "!invited:"  # noqa: S105 (a marker, not a password)


def create_invited_account(name: str, email: str, language: str = "fr") -> User:
    """An account for a household invited by its group, without a password: its owner sets
    one through `send_password_reset`'s link. DomainError on a bad name or address, or one
    already taken."""
    name, email = _checked_new_account(name, email)
    user = User(
        name=name,
        email=email,
        password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16),
        language=_checked_language(language),
    )
    db.session.add(user)
    db.session.flush()
    return user
