"""A grocery's beneficiaries: households allowed to buy at a share of the shelf price.

Eligibility and notes are private to the grocery's staff: these functions take the grocery's
id and never list another grocery's households. They flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import Beneficiary

USUAL_TIERS = (10, 30, 50)  # percent of the shelf price; any 1..100 is allowed
NAME_MAX = 120
PHONE_MAX = 30
REFERRER_MAX = 160
NOTES_MAX = 4000
EXPIRY_WARNING_DAYS = 30  # the list warns a month ahead, time to renew the file


@dataclass(frozen=True)
class BeneficiaryData:
    household_name: str
    tier_percent: int
    valid_from: date
    valid_until: date
    account_email: str = ""  # empty: no linked account (staff order by phone)
    phone: str = ""
    referrer: str = ""
    notes: str = ""


@dataclass(frozen=True)
class BeneficiaryRow:
    """A line of the staff's list: the household and its linked account's email."""

    beneficiary: Beneficiary
    account_email: str | None


def create_beneficiary(grocery_id: int, data: BeneficiaryData) -> Beneficiary:
    user_id = _checked(grocery_id, data, beneficiary_id=None)
    beneficiary = Beneficiary(grocery_id=grocery_id, user_id=user_id)
    _apply(beneficiary, data)
    db.session.add(beneficiary)
    db.session.flush()
    return beneficiary


def update_beneficiary(beneficiary: Beneficiary, data: BeneficiaryData) -> Beneficiary:
    beneficiary.user_id = _checked(beneficiary.grocery_id, data, beneficiary_id=beneficiary.id)
    _apply(beneficiary, data)
    db.session.flush()
    return beneficiary


def archive_beneficiary(beneficiary: Beneficiary) -> None:
    """The household leaves the grocery: kept for its past pre-orders, hidden from the list."""
    if beneficiary.archived:
        raise DomainError(_("Ce foyer est déjà archivé."))
    beneficiary.archived = True
    db.session.flush()


def restore_beneficiary(beneficiary: Beneficiary) -> None:
    if not beneficiary.archived:
        raise DomainError(_("Ce foyer n'est pas archivé."))
    beneficiary.archived = False
    db.session.flush()


def eligibility(beneficiary: Beneficiary, day: date) -> tuple[bool, str]:
    """May the household buy at its tier on `day`? (True, "") or (False, the reason in words)."""
    if beneficiary.archived:
        return False, _("Ce foyer n'est plus inscrit à l'épicerie (dossier archivé).")
    if day < beneficiary.valid_from:
        return False, _(
            "Les droits de ce foyer commencent le %(date)s.",
            date=format_date(beneficiary.valid_from, "long"),
        )
    if day > beneficiary.valid_until:
        return False, _(
            "Les droits de ce foyer ont expiré le %(date)s : renouvelez son dossier.",
            date=format_date(beneficiary.valid_until, "long"),
        )
    return True, ""


def expiry_state(beneficiary: Beneficiary, today: date) -> str:
    """'archived', 'not_yet', 'expired', 'expiring' (within a month) or 'valid', for warnings."""
    if beneficiary.archived:
        return "archived"
    if today < beneficiary.valid_from:
        return "not_yet"
    if today > beneficiary.valid_until:
        return "expired"
    if beneficiary.valid_until - today <= timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return "valid"


def beneficiary_in(grocery_id: int, beneficiary_id: int) -> Beneficiary | None:
    """The household if it belongs to this grocery (another grocery's is never found)."""
    return db.session.scalar(
        select(Beneficiary).where(
            Beneficiary.id == beneficiary_id, Beneficiary.grocery_id == grocery_id
        )
    )


def account_email(beneficiary: Beneficiary) -> str | None:
    if beneficiary.user_id is None:
        return None
    return db.session.scalar(select(User.email).where(User.id == beneficiary.user_id))


def beneficiaries_query(grocery_id: int, *, search: str = "", archived: bool = False) -> Select:
    """The grocery's households by name, matched on name, phone, referrer or email; each row
    is (Beneficiary, linked account's email)."""
    query = (
        select(Beneficiary, User.email)
        .outerjoin(User, User.id == Beneficiary.user_id)
        .where(Beneficiary.grocery_id == grocery_id, Beneficiary.archived.is_(archived))
        .order_by(Beneficiary.household_name, Beneficiary.id)
    )
    words = search.strip()
    if words:
        query = query.where(
            or_(
                Beneficiary.household_name.icontains(words, autoescape=True),
                Beneficiary.phone.icontains(words, autoescape=True),
                Beneficiary.referrer.icontains(words, autoescape=True),
                User.email.icontains(words, autoescape=True),
            )
        )
    return query


def list_beneficiaries(
    grocery_id: int, *, search: str = "", archived: bool = False
) -> list[BeneficiaryRow]:
    """The whole list (one query), for the places that need every household."""
    query = beneficiaries_query(grocery_id, search=search, archived=archived)
    return [BeneficiaryRow(row[0], row[1]) for row in db.session.execute(query)]


def warnings_count(query: Select, today: date) -> int:
    """How many households of a list have rights expired or expiring within the month (the
    same as `expiry_state` says, counted in SQL over the whole list, not one page)."""
    warned = query.order_by(None).where(
        Beneficiary.archived.is_(False),
        Beneficiary.valid_from <= today,
        Beneficiary.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS),
    )
    return db.session.scalar(select(func.count()).select_from(warned.subquery())) or 0


def _apply(beneficiary: Beneficiary, data: BeneficiaryData) -> None:
    beneficiary.household_name = data.household_name.strip()
    beneficiary.phone = data.phone.strip()
    beneficiary.tier_percent = data.tier_percent
    beneficiary.valid_from = data.valid_from
    beneficiary.valid_until = data.valid_until
    beneficiary.referrer = data.referrer.strip()
    beneficiary.notes = data.notes.strip()


def _checked(grocery_id: int, data: BeneficiaryData, *, beneficiary_id: int | None) -> int | None:
    """Check what people are told about; return the linked account's id (or None)."""
    name = data.household_name.strip()
    if not name:
        raise DomainError(_("Indiquez le nom du foyer."), field="household_name")
    if len(name) > NAME_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=NAME_MAX), field="household_name")
    if len(data.phone.strip()) > PHONE_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=PHONE_MAX), field="phone")
    if len(data.referrer.strip()) > REFERRER_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=REFERRER_MAX), field="referrer")
    if len(data.notes.strip()) > NOTES_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=NOTES_MAX), field="notes")
    if not 1 <= data.tier_percent <= 100:
        raise DomainError(
            _(
                "Le tarif est un pourcentage du prix en rayon : indiquez un nombre entre "
                "%(min)d et %(max)d.",
                min=1,
                max=100,
            ),
            field="tier_percent",
        )
    if data.valid_until < data.valid_from:
        raise DomainError(_("La fin des droits doit venir après leur début."), field="valid_until")
    return _linked_user_id(grocery_id, data.account_email, beneficiary_id)


def _linked_user_id(grocery_id: int, email: str, beneficiary_id: int | None) -> int | None:
    email = email.strip().lower()
    if not email:
        return None
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    if user_id is None:
        raise DomainError(
            _(
                "Aucun compte n'utilise l'adresse %(email)s : vérifiez-la, ou laissez ce champ "
                "vide et prenez les pré-commandes par téléphone.",
                email=email,
            ),
            field="account_email",
        )
    other = db.session.scalar(
        select(Beneficiary.household_name).where(
            Beneficiary.grocery_id == grocery_id,
            Beneficiary.user_id == user_id,
            Beneficiary.id != (beneficiary_id or 0),
        )
    )
    if other is not None:
        raise DomainError(
            _("Ce compte est déjà lié au foyer « %(name)s ».", name=other),
            field="account_email",
        )
    return user_id
