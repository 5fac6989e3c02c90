"""Signing up for a distribution day's volunteer roles, cancelling, assigning, attendance.

Services flush and never commit; the view or job that calls them commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Membership
from marketplace.shifts.models import ShiftSignup, ShiftState, VolunteerRole


def is_group_member(group_id: int, user_id: int) -> bool:
    """Anyone holding a role in the group (adhérent·e, bénévole, coordination) may volunteer."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.organisation_id == group_id, Membership.user_id == user_id
                )
            )
        )
    )


def cancel_deadline(signup: ShiftSignup) -> datetime:
    """Until when the volunteer may cancel themself."""
    return signup.distribution_day.starts_at - timedelta(hours=signup.role.cancel_cutoff_hours)


def sign_up(
    day: DistributionDay,
    role: VolunteerRole,
    user: User,
    now: datetime,
    *,
    assigned_by: User | None = None,
) -> ShiftSignup:
    """Put `user` on the day's roster for `role` (themself, or assigned by a coordinator)."""
    if role.group_id != day.group_id or not role.active:
        raise DomainError(_("Ce rôle n'existe pas pour cette distribution."), field="role")
    if day.is_cancelled:
        raise DomainError(_("Cette distribution est annulée."))
    if day.starts_at <= now:
        raise DomainError(_("Cette distribution a déjà eu lieu : l'inscription est fermée."))
    if not is_group_member(day.group_id, user.id):
        if assigned_by is None:
            raise DomainError(_("Seul·es les membres du groupe peuvent s'inscrire."))
        raise DomainError(
            _("%(name)s n'est pas membre du groupe.", name=user.name), field="user_id"
        )
    # Serialise sign-ups for this role (a row lock on PostgreSQL), so two people taking the
    # last place at once cannot both get it.
    db.session.execute(
        select(VolunteerRole.id).where(VolunteerRole.id == role.id).with_for_update()
    )
    live = select(ShiftSignup).where(
        ShiftSignup.distribution_day_id == day.id,
        ShiftSignup.role_id == role.id,
        ShiftSignup.state == ShiftState.SIGNED_UP.value,
    )
    if db.session.scalar(live.where(ShiftSignup.user_id == user.id).limit(1)) is not None:
        raise DomainError(_already_message(user, assigned_by))
    taken = db.session.scalar(select(func.count()).select_from(live.subquery()))
    if taken >= role.needed_per_day:
        raise DomainError(_("Ce rôle est complet pour cette distribution."))
    signup = ShiftSignup(
        distribution_day_id=day.id,
        role_id=role.id,
        user_id=user.id,
        state=ShiftState.SIGNED_UP.value,
        assigned_by_id=assigned_by.id if assigned_by is not None else None,
        created_at=now,
    )
    # A double click raced past the check: the second one is told it is already done.
    return unique.insert_once(signup, _already_message(user, assigned_by))


def _already_message(user: User, assigned_by: User | None) -> str:
    if assigned_by is None:
        return _("Vous êtes déjà inscrit·e pour ce rôle à cette distribution.")
    return _("%(name)s est déjà inscrit·e pour ce rôle à cette distribution.", name=user.name)


def cancel(signup: ShiftSignup, now: datetime) -> None:
    """The volunteer takes their name off the roster, until the role's cut-off."""
    _check_live(signup)
    if now >= signup.distribution_day.starts_at:
        raise DomainError(_("Cette distribution a déjà eu lieu."))
    if now >= cancel_deadline(signup):
        raise DomainError(
            _(
                "Il est trop tard pour vous désinscrire en ligne (au plus tard %(hours)d h "
                "avant la distribution) : prévenez la coordination du groupe, qui pourra "
                "trouver quelqu'un.",
                hours=signup.role.cancel_cutoff_hours,
            )
        )
    _mark_cancelled(signup, now)


def remove(signup: ShiftSignup, now: datetime) -> None:
    """A coordinator takes someone off the roster, at any time before the day starts."""
    _check_live(signup)
    if now >= signup.distribution_day.starts_at:
        raise DomainError(
            _("La distribution a commencé : notez plutôt qui est venu sur la feuille de présence.")
        )
    _mark_cancelled(signup, now)


def set_lead(signup: ShiftSignup, is_lead: bool) -> None:
    """A coordinator names (or un-names) the day's lead volunteer."""
    _check_live(signup)
    signup.is_lead = is_lead
    db.session.flush()


def record_attendance(
    day: DistributionDay, attended: Mapping[int, bool | None], now: datetime
) -> int:
    """After the day has started, note who came (True), who did not (False) or not yet known
    (None), by sign-up id. Returns how many sign-ups changed."""
    if day.starts_at > now:
        raise DomainError(_("Vous pourrez noter les présences une fois la distribution commencée."))
    signups = {signup.id: signup for signup in roster_of(day.id)}
    unknown = set(attended) - set(signups)
    if unknown:
        raise DomainError(_("Cette personne n'est pas inscrite à cette distribution."))
    changed = 0
    for signup_id, value in attended.items():
        if signups[signup_id].attended is not value:
            signups[signup_id].attended = value
            changed += 1
    db.session.flush()
    return changed


def roster_of(day_id: int) -> list[ShiftSignup]:
    """The day's live sign-ups with their person and role, in role order (one query)."""
    return list(
        db.session.scalars(
            select(ShiftSignup)
            .join(ShiftSignup.role)
            .join(ShiftSignup.user)
            .where(
                ShiftSignup.distribution_day_id == day_id,
                ShiftSignup.state == ShiftState.SIGNED_UP.value,
            )
            .options(joinedload(ShiftSignup.role), joinedload(ShiftSignup.user))
            .order_by(VolunteerRole.position, VolunteerRole.name, User.name, ShiftSignup.id)
        )
    )


def _check_live(signup: ShiftSignup) -> None:
    if signup.state != ShiftState.SIGNED_UP.value:
        raise DomainError(_("Cette inscription a déjà été annulée."))


def _mark_cancelled(signup: ShiftSignup, now: datetime) -> None:
    signup.state = ShiftState.CANCELLED.value
    signup.cancelled_at = now
    signup.is_lead = False
    db.session.flush()
