"""Reminding members that their membership ends soon, once each.

A membership ending within its group's `remind_days_before` days, whose household has not
joined for the next period yet, is claimed (reminded_at set by a conditional UPDATE) before
the email goes; a failed send gives the claim back for the next run. One membership's error
never stops the others.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import aliased, joinedload

from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.mail import absolute_url, send_email
from marketplace.membership.models import MembershipSettings, YearlyMembership
from marketplace.membership.periods import Period

logger = logging.getLogger(__name__)

MAX_REMIND_DAYS = 90  # the settings' bound


def due_reminders(today: date) -> list[YearlyMembership]:
    """Memberships ending within their group's reminder delay, not reminded yet, whose
    household has not joined for a later period (one query)."""
    later = aliased(YearlyMembership)
    rows = db.session.execute(
        select(YearlyMembership, MembershipSettings.remind_days_before)
        .join(MembershipSettings, MembershipSettings.group_id == YearlyMembership.group_id)
        .where(
            YearlyMembership.reminded_at.is_(None),
            YearlyMembership.period_ends_on >= today,
            YearlyMembership.period_ends_on <= today + timedelta(days=MAX_REMIND_DAYS),
            ~exists().where(
                and_(
                    later.user_id == YearlyMembership.user_id,
                    later.group_id == YearlyMembership.group_id,
                    later.period_starts_on > YearlyMembership.period_starts_on,
                )
            ),
        )
        .options(joinedload(YearlyMembership.user))
        .order_by(YearlyMembership.id)
    )
    return [
        membership
        for membership, days in rows
        if membership.period_ends_on <= today + timedelta(days=days)
    ]


def send_renewal_reminders(today: date, now: datetime) -> int:
    """Remind each member whose period ends soon, once. Returns how many were sent."""
    sent = 0
    groups: dict[int, Group | None] = {}
    for membership in due_reminders(today):
        if not _claim(membership.id, now):
            continue  # another run took it
        try:
            if membership.group_id not in groups:
                groups[membership.group_id] = db.session.get(Group, membership.group_id)
            group = groups[membership.group_id]
            user = membership.user
            period = Period(membership.period_starts_on, membership.period_ends_on)
            with force_locale(user.language):
                send_email(
                    user.email,
                    _("Votre adhésion à %(group)s arrive à échéance", group=group.name),
                    "email/membership_renewal",
                    user=user,
                    group=group,
                    period=period,
                    link=absolute_url("membership.join", slug=group.slug),
                )
        except Exception:  # one bad row never stops the run: try it again next time
            logger.exception("Renewal reminder for membership %s failed", membership.id)
            _release(membership.id)
        else:
            sent += 1
    db.session.flush()
    return sent


def _claim(membership_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(YearlyMembership)
        .where(YearlyMembership.id == membership_id, YearlyMembership.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release(membership_id: int) -> None:
    db.session.execute(
        update(YearlyMembership)
        .where(YearlyMembership.id == membership_id)
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )
