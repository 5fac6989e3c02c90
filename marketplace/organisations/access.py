"""Who may do what: access is denied by default and granted by role in an organisation."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Organisation, Role


def roles_in(user: User, organisation_id: int) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    rows = db.session.scalars(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation_id
        )
    )
    return set(rows)


def has_role(user: User, organisation: Organisation, *roles: Role | str) -> bool:
    """Site administrators hold every role; anyone else needs one of `roles` in `organisation`."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return bool(roles_in(user, organisation.id) & {str(role) for role in roles})


def require_role(organisation: Organisation, *roles: Role | str) -> None:
    """Stop the request with 403 unless the current person holds one of `roles` there."""
    if not has_role(current_user, organisation, *roles):
        abort(403)


def require_admin() -> None:
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(403)
