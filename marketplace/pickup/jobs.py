"""Scheduled closing of the distribution days nobody closed by hand.

Every hour, days whose end passed AUTO_CLOSE_AFTER ago are closed as if by the lead volunteer,
with `closed_by` None. Baskets under the "donate" rule go to the grocery the group gave to last
time (or the territory's only grocery); when none can be determined they are kept for the
producer. Extras are never donated by the scheduler (a coordinator's choice). The group's
coordinators get a notice with a link to the report.

A day on which nobody ticked anything although baskets or orders were to hand over is not
closed: an empty checklist is no evidence that nobody came (the paper sheet may say
otherwise). It is flagged once (pickup.unticked) and the coordinators are told to settle it;
the job never credits it and never looks at it again.

The job works from the present state, not from its period: a run after downtime closes every
day still open within AUTO_CLOSE_LOOKBACK, and a second run finds nothing left (one DayClosing
row per day, unique in the database). Older days are left alone: closing them would book credits
for seasons that predate the checklist.
"""

from __future__ import annotations

from datetime import time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.organisations.models import Membership, Role
from marketplace.payments.money import format_money
from marketplace.pickup import closing, reminders, unticked
from marketplace.scheduler.registry import Daily, Hourly, Period, registry
from marketplace.timezones import paris_today

AUTO_CLOSE_AFTER = timedelta(hours=3)
AUTO_CLOSE_LOOKBACK = timedelta(days=14)


@registry.register(
    "close_finished_pickup_days",
    Hourly(minute=20),
    catch_up="latest",
    description="Clôture les distributions terminées depuis quelques heures et prévient la "
    "coordination.",
)
def close_finished_pickup_days(period: Period) -> str:
    now = utcnow()
    closed = flagged = 0
    for day in closing.days_to_close_automatically(now, AUTO_CLOSE_AFTER, AUTO_CLOSE_LOOKBACK):
        if unticked.needs_confirmation(day):
            if unticked.flag_day(day, now) is not None:
                flagged += 1
                _tell_coordinators_unticked(day)
            continue
        grocery = closing.grocery_for_group(day.group_id)
        try:
            with db.session.begin_nested():  # a volunteer closing it right now wins
                outcome = closing.close_day(
                    day,
                    now=now,
                    closed_by_id=None,
                    may_close_early=False,
                    grocery_id=grocery.id if grocery else None,
                    require_grocery=False,
                )
        except (DomainError, IntegrityError):
            continue
        closed += 1
        _tell_coordinators(day, outcome)
    summary = f"{closed} distribution(s) clôturée(s)"
    if flagged:
        summary += f", {flagged} sans aucune case cochée, à confirmer par la coordination"
    return summary


def _coordinators(day: DistributionDay) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == day.group_id,
            Membership.role == Role.COORDINATOR.value,
            User.is_active_account.is_(True),
        )
        .order_by(User.id)
    ).all()


def _tell_coordinators(day: DistributionDay, outcome: closing.ClosingOutcome) -> None:
    _email_coordinators(
        day,
        lambda: _("Distribution clôturée : %(group)s", group=day.group.name),
        "email/pickup_day_closed",
        absolute_url("pickup_closing.report", day_id=day.id),
        outcome=outcome,
        credited=format_money(outcome.credited_cents),
    )


def _tell_coordinators_unticked(day: DistributionDay) -> None:
    _email_coordinators(
        day,
        lambda: _("Distribution à confirmer : %(group)s", group=day.group.name),
        "email/pickup_day_unticked",
        absolute_url("pickup_closing.close", day_id=day.id),
    )


def _email_coordinators(day: DistributionDay, subject, template: str, link: str, **context):
    """One email per coordinator of the day's group, each in their own language."""
    for user in _coordinators(day):
        with force_locale(user.language):
            send_email(user.email, subject(), template, user=user, day=day, link=link, **context)


@registry.register(
    "remind_households",
    Daily(time(10, 0)),
    catch_up="latest",
    description="Rappelle aux foyers leur distribution et le contenu de leur panier, la veille.",
)
def remind_households(period: Period) -> str:
    now = utcnow()
    sent = reminders.send_pickup_reminders(paris_today(now), now)
    return f"{sent} rappel(s) envoyé(s)"
