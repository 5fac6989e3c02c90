"""Password hashing (scrypt, Werkzeug's default KDF) and the strength rule."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
# scrypt copes with long input, but nobody types more; a cap keeps hashing cheap to refuse.
MAX_LENGTH = 200

# The most common passwords people still try; longer than MIN_LENGTH ones only matter.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "azertyuiop",
        "qwertyuiop",
        "motdepasse",
        "motdepasse1",
        "motdepasse123",
        "password123",
        "password1234",
        "passwordpassword",
        "soleil1234",
        "0123456789",
        "1111111111",
        "aaaaaaaaaa",
        "abcdefghij",
        "iloveyou123",
        "azerty1234",
        "azerty12345",
    }
)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def weakness(password: str, email: str = "", name: str = "") -> str | None:
    """Why a password is too weak (a code), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "too_common"
    local_part = email.split("@")[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in lowered) or (
        name and len(name) >= 4 and name.lower().replace(" ", "") in lowered
    ):
        return "personal"
    return None


def weakness_message(code: str) -> str:
    """The French sentence (translated at call time) explaining a `weakness()` code."""
    messages = {
        "too_short": _(
            "Le mot de passe doit contenir au moins %(min)d caractères.", min=MIN_LENGTH
        ),
        "too_common": _(
            "Ce mot de passe est trop courant ou trop simple : choisissez-en un plus difficile "
            "à deviner, par exemple une courte phrase."
        ),
        "personal": _("Le mot de passe ne doit pas reprendre votre nom ni votre adresse e-mail."),
    }
    return messages[code]


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, as a sentence for people, or None when it is fine."""
    if len(password) > MAX_LENGTH:
        return _("Le mot de passe ne doit pas dépasser %(max)d caractères.", max=MAX_LENGTH)
    code = weakness(password, email=email, name=name)
    return weakness_message(code) if code else None
