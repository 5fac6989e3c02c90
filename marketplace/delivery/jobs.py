"""Scheduled jobs of the delivery domain."""

from __future__ import annotations

from datetime import time, timedelta

from flask import current_app

from marketplace.delivery.days import materialise_all
from marketplace.extensions import db
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.timezones import paris_today, to_paris


@registry.register(
    "materialise_distribution_days",
    Daily(time(3, 0)),
    catch_up="latest",
    description=(
        "Crée et met à jour les distributions datées de chaque calendrier, "
        "jusqu'à DISTRIBUTION_HORIZON_WEEKS semaines à l'avance."
    ),
)
def materialise_distribution_days(period: Period) -> str:
    """Materialise every rule from today to the horizon after the period's Paris date.

    Idempotent: a second run of the same period finds every row in place and changes nothing.
    The summary is a journal line for administrators, kept in French like the stored data
    (jobs run outside any request, hence outside any visitor's language).
    """
    weeks = current_app.config["DISTRIBUTION_HORIZON_WEEKS"]
    period_day = to_paris(period.due_at).date()
    result = materialise_all(paris_today(), weeks, until=period_day + timedelta(weeks=weeks))
    db.session.flush()
    return str(result)
