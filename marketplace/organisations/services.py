"""Membership and profile operations shared by AMAP groups, producers and groceries.

Services flush and never commit: the view (or CLI command) that calls them commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import contains_eager

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.labels import role_label
from marketplace.organisations.models import (
    ROLES_BY_KIND,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)

# The role that runs each kind of organisation: it may manage members, and at least one
# person must always hold it, or nobody could manage the organisation any more.
MANAGER_ROLE: dict[OrganisationKind, Role] = {
    OrganisationKind.GROUP: Role.COORDINATOR,
    OrganisationKind.PRODUCER: Role.PRODUCER_STAFF,
    OrganisationKind.GROCERY: Role.GROCERY_STAFF,
}


def manager_role(organisation: Organisation) -> Role:
    return MANAGER_ROLE[OrganisationKind(organisation.kind)]


def roles_offered(organisation: Organisation) -> tuple[Role, ...]:
    return ROLES_BY_KIND[OrganisationKind(organisation.kind)]


def last_manager_message(organisation: Organisation) -> str:
    kind = OrganisationKind(organisation.kind)
    if kind is OrganisationKind.GROUP:
        return _("Le groupe doit garder au moins un·e coordinateur·rice.")
    if kind is OrganisationKind.PRODUCER:
        return _("La ferme doit garder au moins une personne dans son équipe.")
    return _("L'épicerie doit garder au moins une personne dans son équipe.")


def _valid_role(organisation: Organisation, role: Role | str) -> Role:
    allowed = {str(offered) for offered in roles_offered(organisation)}
    if str(role) not in allowed:
        raise DomainError(_("Ce rôle n'existe pas pour ce type d'organisation."), field="role")
    return Role(str(role))


def roles_held(organisation: Organisation, user: User) -> set[str]:
    """The role codes `user` holds in `organisation` (empty for a visitor)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            select(Membership.role).where(
                Membership.organisation_id == organisation.id, Membership.user_id == user.id
            )
        )
    )


def lock_organisation(organisation: Organisation) -> None:
    """Serialise role changes in one organisation, so that two coordinators removing each
    other at once cannot leave it without any (a row lock on PostgreSQL; SQLite, used for
    development only, ignores FOR UPDATE)."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )


def count_holders(organisation: Organisation, role: Role) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == organisation.id, Membership.role == role.value
        )
    )


def add_role(organisation: Organisation, user: User, role: Role | str) -> Membership:
    """Give `user` the `role` in `organisation` (a role of that kind of organisation only)."""
    checked = _valid_role(organisation, role)
    duplicate = _(
        "%(name)s a déjà le rôle « %(role)s » ici.", name=user.name, role=role_label(checked)
    )
    if checked.value in roles_held(organisation, user):
        raise DomainError(duplicate, field="role")
    # A double submission raced this one past the check. Made inside the SAVEPOINT: joining
    # the organisation's memberships would otherwise flush it before.
    with unique.first_one_wins(duplicate, field="role"):
        membership = Membership(user=user, organisation=organisation, role=checked)
        db.session.add(membership)
    return membership


def remove_role(organisation: Organisation, user: User, role: Role | str) -> None:
    """Take `role` away from `user`; the organisation always keeps one manager."""
    checked = _valid_role(organisation, role)
    lock_organisation(organisation)
    if checked.value not in roles_held(organisation, user):
        raise DomainError(
            _(
                "%(name)s n'a pas le rôle « %(role)s » ici.",
                name=user.name,
                role=role_label(checked),
            ),
            field="role",
        )
    if checked is manager_role(organisation) and count_holders(organisation, checked) <= 1:
        raise DomainError(last_manager_message(organisation), field="role")
    db.session.execute(
        delete(Membership).where(
            Membership.organisation_id == organisation.id,
            Membership.user_id == user.id,
            Membership.role == checked.value,
        )
    )
    db.session.expire(organisation, ["memberships"])
    db.session.flush()


def user_by_email(email: str) -> User:
    """The account registered with `email` (emails are stored lower-case)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise DomainError(
            _("Aucun compte avec cette adresse : la personne doit d'abord créer son compte."),
            field="email",
        )
    return user


def memberships_of(user: User) -> list[Membership]:
    """Every role the person holds, each with its organisation loaded, in ONE query."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.organisation)
            .options(contains_eager(Membership.organisation))
            .where(Membership.user_id == user.id)
            .order_by(Organisation.kind, Organisation.name, Membership.role)
        )
    )


@dataclass
class PersonRoles:
    """One person and the roles they hold in one organisation (for the members screen)."""

    user: User
    roles: list[str] = field(default_factory=list)


def people_with_roles(organisation: Organisation, search: str = "") -> list[PersonRoles]:
    """People holding a role in `organisation`, by name, optionally matching `search`
    (name or email), each with all their roles there, in ONE query."""
    statement = (
        select(Membership)
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .where(Membership.organisation_id == organisation.id)
        .order_by(User.name, User.id, Membership.role)
    )
    search = search.strip()
    if search:
        statement = statement.where(
            or_(
                User.name.icontains(search, autoescape=True),
                User.email.icontains(search, autoescape=True),
            )
        )
    memberships = db.session.scalars(statement).all()
    order = [role.value for role in roles_offered(organisation)]
    people = []
    for _user_id, rows in groupby(memberships, key=lambda membership: membership.user_id):
        rows = list(rows)
        roles = sorted((row.role for row in rows), key=order.index)
        people.append(PersonRoles(user=rows[0].user, roles=roles))
    return people


def organisation_by_slug(kind: OrganisationKind, slug: str) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).where(Organisation.kind == kind.value, Organisation.slug == slug)
    )


# -- Profile -------------------------------------------------------------------------------

# Column lengths of organisations (see organisations/models.py), checked before the database.
MAX_LENGTHS = {
    "name": 120,
    "address": 200,
    "postcode": 10,
    "city": 100,
    "email": 254,
    "phone": 30,
}
MAX_DESCRIPTION = 5000


@dataclass(frozen=True)
class OrganisationProfile:
    """What an organisation shows of itself: identity, address, position and contact."""

    name: str
    description: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    email: str | None = None
    phone: str | None = None


def _checked_profile(profile: OrganisationProfile) -> OrganisationProfile:
    name = profile.name.strip()
    if not name:
        raise DomainError(_("Indiquez un nom."), field="name")
    values = {
        "name": name,
        "address": profile.address.strip(),
        "postcode": profile.postcode.strip(),
        "city": profile.city.strip(),
        "email": (profile.email or "").strip().lower() or None,
        "phone": (profile.phone or "").strip() or None,
    }
    for column, limit in MAX_LENGTHS.items():
        if len(values[column] or "") > limit:
            raise DomainError(
                _("%(max)d caractères au maximum.", max=limit),
                field=column,
            )
    description = profile.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            _("%(max)d caractères au maximum.", max=MAX_DESCRIPTION), field="description"
        )
    latitude, longitude = profile.latitude, profile.longitude
    if (latitude is None) != (longitude is None):
        raise DomainError(
            _("Indiquez la latitude et la longitude, ou aucune des deux."), field="latitude"
        )
    if latitude is not None and not -90 <= latitude <= 90:
        raise DomainError(_("La latitude doit être comprise entre -90 et 90."), field="latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise DomainError(
            _("La longitude doit être comprise entre -180 et 180."), field="longitude"
        )
    return OrganisationProfile(
        description=description, latitude=latitude, longitude=longitude, **values
    )


def update_organisation_profile(organisation: Organisation, profile: OrganisationProfile) -> None:
    """Replace the organisation's public profile (its slug, the page address, stays)."""
    checked = _checked_profile(profile)
    organisation.name = checked.name
    organisation.description = checked.description
    organisation.address = checked.address
    organisation.postcode = checked.postcode
    organisation.city = checked.city
    organisation.latitude = checked.latitude
    organisation.longitude = checked.longitude
    organisation.email = checked.email
    organisation.phone = checked.phone
    db.session.flush()
