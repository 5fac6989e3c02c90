"""Builders shared by the shift tests: a group with a coordinator, roles and days."""

from __future__ import annotations

from datetime import date, time, timedelta

from marketplace.extensions import db
from marketplace.timezones import local_instant, paris_today
from tests import factories


def day_in(days: int, schedule=None, **values):
    """A distribution day `days` from today (negative: past), 18:00-19:30 Paris time."""
    when = paris_today() + timedelta(days=days)
    if schedule is not None:
        values["schedule"] = schedule
    return factories.DistributionDayFactory(
        occurrence_date=when,
        starts_at=local_instant(when, time(18, 0)),
        ends_at=local_instant(when, time(19, 30)),
        **values,
    )


def member_of(group, role: str = "member", **user_values):
    user = factories.UserFactory(**user_values)
    factories.MembershipFactory(user=user, organisation=group, role=role)
    return user


def group_with_day(days: int = 7, needed: int = 2):
    """A day of a group with one role needing `needed` people."""
    day = day_in(days)
    role = factories.VolunteerRoleFactory(
        group=day.group, name="Émargement", needed_per_day=needed, cancel_cutoff_hours=48
    )
    db.session.flush()
    return day, role


def today() -> date:
    return paris_today()
