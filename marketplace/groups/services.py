"""AMAP groups: finding one, and households joining or leaving it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.organisations.services import (
    add_role,
    count_holders,
    lock_organisation,
    roles_held,
)


def group_by_slug(slug: str) -> Group | None:
    return db.session.scalar(select(Group).where(Group.slug == slug))


def join_group(group: Group, user: User) -> Membership:
    """The person becomes a member (adhérent·e) of the group."""
    already = _("Vous êtes déjà adhérent·e de ce groupe.")
    if Role.MEMBER.value in roles_held(group, user):
        raise DomainError(already)
    try:
        return add_role(group, user, Role.MEMBER)
    except DomainError as error:  # a double click raced past the check
        raise DomainError(already) from error


def leave_group(group: Group, user: User) -> None:
    """The person leaves the group, giving up every role there; its last coordinator cannot."""
    lock_organisation(group)
    roles = roles_held(group, user)
    if not roles:
        raise DomainError(_("Vous n'êtes pas membre de ce groupe."))
    if Role.COORDINATOR.value in roles and count_holders(group, Role.COORDINATOR) <= 1:
        raise DomainError(
            _(
                "Vous êtes la seule personne qui coordonne ce groupe : confiez ce rôle à "
                "quelqu'un d'autre avant de le quitter."
            )
        )
    db.session.execute(
        delete(Membership).where(
            Membership.organisation_id == group.id, Membership.user_id == user.id
        )
    )
    db.session.expire(group, ["memberships"])
    db.session.flush()
