"""Coordinators bring households into their group: one invitation, or a CSV file of them.

An invited household gets an account without a password and an email with a link to choose
one (the password-reset link of accounts). An import is checked whole first (the preview,
where each refused line says why) and writes nothing until the coordinator confirms; the
file is bounded in bytes and lines.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.accounts.services import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHONE_PATTERN,
    create_invited_account,
    normalise_email,
)
from marketplace.accounts.tokens import reset_token_for
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.mail import absolute_url, send_email
from marketplace.organisations.models import Membership, Role
from marketplace.organisations.services import add_role

logger = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 100_000
IMPORT_MAX_LINES = 500
NAME_HEADERS = {"nom", "name", "foyer"}
EMAIL_HEADERS = {"email", "e-mail", "courriel", "mail"}
PHONE_HEADERS = {"telephone", "téléphone", "phone", "tel", "tél"}


def _is_member(group: Group, user: User) -> bool:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.organisation_id == group.id,
                Membership.user_id == user.id,
                Membership.role == Role.MEMBER.value,
            )
        )
        > 0
    )


def invite(group: Group, name: str, email: str, phone: str | None = None) -> tuple[User, bool]:
    """The household joins the group as a member: a new account (True) or an existing one
    (False). DomainError if the address is bad or already a member's."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    created = user is None
    if user is None:
        user = create_invited_account(name, email)
        if phone:
            user.phone = phone
    elif _is_member(group, user):
        raise DomainError(
            _("%(email)s est déjà membre du groupe.", email=user.email), field="email"
        )
    add_role(group, user, Role.MEMBER)
    db.session.flush()
    return user, created


def send_invitation(group: Group, user: User) -> bool:
    """Email the set-your-password link (after the commit); False if the mail server failed."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        with force_locale(user.language):
            send_email(
                user.email,
                _("%(group)s vous invite à choisir votre mot de passe", group=group.name),
                "email/membership_invitation",
                user=user,
                group=group,
                link=absolute_url("accounts.reset_password", token=reset_token_for(user)),
                validity=format_timedelta(timedelta(seconds=max(max_age, 60))),
            )
    except (smtplib.SMTPException, OSError):
        logger.exception("Invitation to user %s failed", user.id)
        return False
    return True


# --- Import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLine:
    number: int  # the line of the file (the header is line 1)
    name: str
    email: str
    phone: str


@dataclass
class ImportCheck:
    accepted: list[ImportLine] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # line, what, why


def read_file(data: bytes) -> str:
    """The file's text; DomainError if it is too big, empty or not text."""
    if not data:
        raise DomainError(_("Choisissez un fichier CSV."), field="file")
    if len(data) > IMPORT_MAX_BYTES:
        raise DomainError(
            _("Le fichier dépasse %(max)d Ko : découpez-le.", max=IMPORT_MAX_BYTES // 1000),
            field="file",
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("Ce fichier n'est pas un fichier texte (CSV)."), field="file")


def check_import(group: Group, text: str) -> ImportCheck:
    """Every line of the file, accepted or refused with its reason; nothing is written."""
    lines = text.splitlines()
    if len(lines) > IMPORT_MAX_LINES + 1:
        raise DomainError(
            _("%(max)d foyers au plus par fichier : découpez-le.", max=IMPORT_MAX_LINES),
            field="file",
        )
    try:
        dialect = csv.Sniffer().sniff(lines[0] if lines else "", delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise DomainError(_("Le fichier est vide."), field="file")
    headers = [cell.strip().lower() for cell in rows[0]]
    columns = {}
    for key, names in (("name", NAME_HEADERS), ("email", EMAIL_HEADERS), ("phone", PHONE_HEADERS)):
        found = [index for index, header in enumerate(headers) if header in names]
        if found:
            columns[key] = found[0]
    if "name" not in columns or "email" not in columns:
        raise DomainError(
            _(
                "La première ligne doit nommer les colonnes « nom » et « email » "
                "(et « téléphone »)."
            ),
            field="file",
        )
    emails = [normalise_email(_cell(row, columns["email"])) for row in rows[1:]]
    existing = _members_among(group, [email for email in emails if email])
    check, seen = ImportCheck(), set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = " ".join(_cell(row, columns["name"]).split())
        email = normalise_email(_cell(row, columns["email"]))
        phone = _cell(row, columns["phone"]).strip() if "phone" in columns else ""
        reason = _refusal(name, email, phone, seen, existing)
        if reason:
            check.refused.append((number, email or name, reason))
        else:
            check.accepted.append(ImportLine(number, name, email, phone))
        seen.add(email)
    return check


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _refusal(name: str, email: str, phone: str, seen: set[str], members: set[str]) -> str:
    if not name:
        return _("nom manquant")
    if len(name) > NAME_MAX_LENGTH:
        return _("nom trop long (%(max)d caractères au plus)", max=NAME_MAX_LENGTH)
    if not email:
        return _("adresse e-mail manquante")
    if len(email) > EMAIL_MAX_LENGTH:
        return _("adresse e-mail trop longue")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _("adresse e-mail invalide")
    if email in seen:
        return _("adresse en double dans le fichier")
    if email in members:
        return _("déjà membre du groupe")
    if phone and not re.fullmatch(PHONE_PATTERN, phone):
        return _("numéro de téléphone invalide")
    return ""


def _members_among(group: Group, emails: list[str]) -> set[str]:
    if not emails:
        return set()
    return set(
        db.session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == group.id,
                Membership.role == Role.MEMBER.value,
                User.email.in_(emails),
            )
        )
    )


def run_import(group: Group, check: ImportCheck) -> list[User]:
    """Add the accepted lines (checked again: the file came back from the browser); returns
    the new accounts, to be sent their invitation once committed."""
    created = []
    for line in check.accepted:
        user, is_new = invite(group, line.name, line.email, line.phone or None)
        if is_new:
            created.append(user)
    return created
