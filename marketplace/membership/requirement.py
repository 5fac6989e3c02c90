"""What the season contracts ask of membership: a group that requires it refuses a sign-up
from a household that has not joined for the current period (paid or not yet: the fee is
then owed in the ledger), and every sign-up page tells a lapsed household to renew."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.groups.models import Group
from marketplace.membership.models import MembershipSettings
from marketplace.membership.queries import Status, household_status
from marketplace.membership.services import current_period, settings_of


@dataclass(frozen=True)
class MembershipNotice:
    """What a sign-up page shows before anything is filled in."""

    blocking: bool  # the group requires membership and the household has none for now
    message: str
    join_url: str


def _missing(settings: MembershipSettings, user: User, today: date) -> Status | None:
    status = household_status(settings, user.id, today)
    return None if status in (Status.PAID, Status.UNPAID) else status


def notice_for(group: Group, user: User, today: date) -> MembershipNotice | None:
    settings = settings_of(group)
    if settings is None:
        return None
    status = _missing(settings, user, today)
    if status is None:
        return None
    period = current_period(settings, today)
    join_url = url_for("membership.join", slug=group.slug)
    if settings.required:
        return MembershipNotice(True, required_message(group, period.label, status), join_url)
    if status == Status.LAPSED:
        return MembershipNotice(
            False,
            _(
                "Votre adhésion à %(group)s est arrivée à échéance : pensez à la renouveler "
                "pour %(period)s.",
                group=group.name,
                period=period.label,
            ),
            join_url,
        )
    return None


def required_message(group: Group, period_label: str, status: Status) -> str:
    if status == Status.LAPSED:
        return _(
            "Votre adhésion à %(group)s est arrivée à échéance : renouvelez-la pour %(period)s "
            "avant de vous inscrire à un contrat.",
            group=group.name,
            period=period_label,
        )
    return _(
        "L'adhésion %(period)s à %(group)s est nécessaire pour s'inscrire à ses contrats : "
        "adhérez d'abord.",
        group=group.name,
        period=period_label,
    )


def check_may_subscribe(group: Group, user: User, today: date) -> None:
    """DomainError (field `membership`) when the group requires a membership the household
    does not hold for the current period."""
    settings = settings_of(group)
    if settings is None or not settings.required:
        return
    status = _missing(settings, user, today)
    if status is not None:
        period = current_period(settings, today)
        raise DomainError(required_message(group, period.label, status), field="membership")
