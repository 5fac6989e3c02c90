"""The volunteer roles a group's coordinators define: what each distribution day needs."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.shifts.models import VolunteerRole

MAX_NEEDED_PER_DAY = 50
MAX_CUTOFF_HOURS = 24 * 14


@dataclass(frozen=True)
class RoleData:
    name: str
    description: str = ""
    needed_per_day: int = 1
    cancel_cutoff_hours: int = 48
    position: int = 0
    active: bool = True


def group_roles(group_id: int, *, active_only: bool = False) -> list[VolunteerRole]:
    """The group's roles in the order coordinators chose (one query)."""
    query = select(VolunteerRole).where(VolunteerRole.group_id == group_id)
    if active_only:
        query = query.where(VolunteerRole.active.is_(True))
    return list(
        db.session.scalars(
            query.order_by(VolunteerRole.position, VolunteerRole.name, VolunteerRole.id)
        )
    )


def create_role(group_id: int, data: RoleData) -> VolunteerRole:
    _check(group_id, data, role_id=None)
    role = VolunteerRole(group_id=group_id)
    _apply(role, data)
    db.session.add(role)
    db.session.flush()
    return role


def update_role(role: VolunteerRole, data: RoleData) -> VolunteerRole:
    """Change a role; sign-ups already made stay, even above a lowered number needed."""
    _check(role.group_id, data, role_id=role.id)
    _apply(role, data)
    db.session.flush()
    return role


def _apply(role: VolunteerRole, data: RoleData) -> None:
    role.name = data.name.strip()
    role.description = data.description.strip()
    role.needed_per_day = data.needed_per_day
    role.cancel_cutoff_hours = data.cancel_cutoff_hours
    role.position = data.position
    role.active = data.active


def _check(group_id: int, data: RoleData, role_id: int | None) -> None:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Donnez un nom au rôle."), field="name")
    if not 1 <= data.needed_per_day <= MAX_NEEDED_PER_DAY:
        raise DomainError(
            _(
                "Indiquez entre 1 et %(max)d personnes par distribution.",
                max=MAX_NEEDED_PER_DAY,
            ),
            field="needed_per_day",
        )
    if not 0 <= data.cancel_cutoff_hours <= MAX_CUTOFF_HOURS:
        raise DomainError(
            _("Indiquez un délai entre 0 et %(max)d heures.", max=MAX_CUTOFF_HOURS),
            field="cancel_cutoff_hours",
        )
    same_name = select(VolunteerRole.id).where(
        VolunteerRole.group_id == group_id,
        func.lower(VolunteerRole.name) == name.lower(),
    )
    if role_id is not None:
        same_name = same_name.where(VolunteerRole.id != role_id)
    if db.session.scalar(same_name.limit(1)) is not None:
        raise DomainError(_("Le groupe a déjà un rôle de ce nom."), field="name")
