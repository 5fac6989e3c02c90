"""Scheduled jobs of the volunteer shifts: reminders and understaffing alerts.

Both work from the present state, not from the period: a run after downtime does everything
still due (catch_up="latest"), and a second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import time

from marketplace.db import utcnow
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.shifts import reminders
from marketplace.timezones import paris_today


@registry.register(
    "remind_volunteers",
    Daily(time(10, 0)),
    catch_up="latest",
    description="Rappelle leur permanence aux bénévoles, la veille de la distribution.",
)
def remind_volunteers(period: Period) -> str:
    now = utcnow()
    sent = reminders.send_volunteer_reminders(paris_today(now), now)
    return f"{sent} rappel(s) envoyé(s)"


@registry.register(
    "alert_understaffed_days",
    Daily(time(9, 0)),
    catch_up="latest",
    description="Prévient la coordination quand une distribution proche manque de bénévoles.",
)
def alert_understaffed_days(period: Period) -> str:
    now = utcnow()
    announced = reminders.send_staffing_alerts(paris_today(now), now)
    return f"{announced} distribution(s) signalée(s)"
