"""Emails about shifts: each volunteer the day before, the coordinators (and, if the site
says so, the members) when a day ahead misses volunteers.

Each email is claimed in the database before it is sent (reminded_at set by a conditional
UPDATE, a StaffingAlert row unique per day), so a job run twice, or two runs at once, send
it once. Both work from the present state: a run after downtime catches up what is due.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from marketplace.accounts.models import User
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.organisations.models import Membership, Role
from marketplace.shifts.models import ShiftSignup, ShiftState, StaffingAlert
from marketplace.shifts.queries import DayStaffing, understaffed_between

logger = logging.getLogger(__name__)

# Settings (app config) and their defaults.
DAYS_AHEAD_SETTING = "SHIFTS_UNDERSTAFFED_DAYS_AHEAD"
DEFAULT_DAYS_AHEAD = 3
ALERT_MEMBERS_SETTING = "SHIFTS_UNDERSTAFFED_ALERT_MEMBERS"


def send_volunteer_reminders(today: date, now: datetime) -> int:
    """Remind each volunteer of a shift on a day up to tomorrow that has not started yet,
    once. Returns how many were sent."""
    due = db.session.scalars(
        select(ShiftSignup)
        .join(ShiftSignup.distribution_day)
        .where(
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
            ShiftSignup.reminded_at.is_(None),
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.day <= today + timedelta(days=1),
            DistributionDay.starts_at > now,
        )
        .options(
            contains_eager(ShiftSignup.distribution_day).joinedload(DistributionDay.pickup_point),
            contains_eager(ShiftSignup.distribution_day).joinedload(DistributionDay.group),
            joinedload(ShiftSignup.role),
            joinedload(ShiftSignup.user),
        )
        .order_by(ShiftSignup.id)
    ).all()
    sent = 0
    for signup in due:
        if not _claim_reminder(signup.id, now):
            continue  # another run took it
        day = signup.distribution_day
        link = absolute_url("shifts.index", group_id=day.group_id)
        if _send(
            signup.user,
            "email/shift_reminder",
            lambda role=signup.role.name, when=day.day: _(
                "Rappel : votre permanence %(role)s du %(day)s",
                role=role,
                day=format_date(when, "long"),
            ),
            signup=signup,
            day=day,
            link=link,
        ):
            sent += 1
        else:  # try again at the next run
            db.session.execute(
                update(ShiftSignup)
                .where(ShiftSignup.id == signup.id)
                .values(reminded_at=None)
                .execution_options(synchronize_session=False)
            )
    db.session.flush()
    return sent


def _claim_reminder(signup_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(ShiftSignup)
        .where(ShiftSignup.id == signup_id, ShiftSignup.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_staffing_alerts(today: date, now: datetime) -> int:
    """Tell the coordinators of each group (and its members when the site enables it) about
    each day within the next days that misses volunteers, once per day. Returns how many
    days were announced."""
    days_ahead = current_app.config.get(DAYS_AHEAD_SETTING, DEFAULT_DAYS_AHEAD)
    alert_members = bool(current_app.config.get(ALERT_MEMBERS_SETTING, False))
    understaffed = understaffed_between(today, today + timedelta(days=days_ahead), now)
    if not understaffed:
        return 0
    already = set(
        db.session.scalars(
            select(StaffingAlert.distribution_day_id).where(
                StaffingAlert.distribution_day_id.in_([item.day.id for item in understaffed])
            )
        )
    )
    to_announce = [item for item in understaffed if item.day.id not in already]
    people = _people_of({item.day.group_id for item in to_announce})
    announced = 0
    for item in to_announce:
        if not _claim_alert(item.day.id, now):
            continue
        announced += 1
        on_roster = {signup.user_id for role in item.roles for signup in role.signups}
        coordinators = people[item.day.group_id][Role.COORDINATOR.value]
        for user in coordinators.values():
            _send_alert(user, item, "email/shift_understaffed", "shifts.staffing")
        if alert_members:
            for user_id, user in people[item.day.group_id]["all"].items():
                if user_id not in coordinators and user_id not in on_roster:
                    _send_alert(user, item, "email/shift_help_wanted", "shifts.index")
    return announced


def _claim_alert(day_id: int, now: datetime) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(StaffingAlert(distribution_day_id=day_id, sent_at=now))
    except IntegrityError:  # another run announced it at the same moment
        return False
    return True


def _people_of(group_ids: set[int]) -> dict[int, dict[str, dict[int, User]]]:
    """Per group: its coordinators and everyone holding a role there (one query)."""
    people: dict[int, dict[str, dict[int, User]]] = defaultdict(lambda: defaultdict(dict))
    if not group_ids:
        return people
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.organisation_id.in_(group_ids))
        .options(joinedload(Membership.user))
    ):
        by_kind = people[membership.organisation_id]
        by_kind["all"][membership.user_id] = membership.user
        if membership.role == Role.COORDINATOR.value:
            by_kind[Role.COORDINATOR.value][membership.user_id] = membership.user
    return people


def _send_alert(user: User, item: DayStaffing, template: str, endpoint: str) -> None:
    day = item.day
    _send(
        user,
        template,
        lambda: _(
            "Il manque des bénévoles pour la distribution du %(day)s",
            day=format_date(day.day, "long"),
        ),
        staffing=item,
        day=day,
        link=absolute_url(endpoint, group_id=day.group_id),
    )


def _send(user: User, template: str, subject, **context) -> bool:
    """Send in the person's language; a failure is logged and reported, never raised."""
    try:
        with force_locale(user.language):
            send_email(user.email, subject(), template, user=user, **context)
    except (smtplib.SMTPException, OSError):
        logger.exception("Shift email %s to user %s failed", template, user.id)
        return False
    return True
