"""Scheduled jobs of the mobile grocery: dated runs of every route, weeks ahead."""

from __future__ import annotations

from datetime import time, timedelta

from flask import current_app

from marketplace.extensions import db
from marketplace.routes.runs import HORIZON_WEEKS, materialise_every_route
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.timezones import paris_today, to_paris


@registry.register(
    "materialise_route_runs",
    Daily(time(3, 15)),
    catch_up="latest",
    description=(
        "Crée les tournées datées de chaque tournée active, avec les horaires de leurs "
        "arrêts, jusqu'à ROUTE_HORIZON_WEEKS semaines à l'avance."
    ),
)
def materialise_route_runs(period: Period) -> str:
    """Materialise every route from today to the horizon after the period's Paris date.

    Idempotent (runs are inserted with ON CONFLICT DO NOTHING): a second run of the same
    period, or a run after a missed one, finds the rows in place and changes nothing. The
    summary is a journal line in French, like the stored data.
    """
    weeks = current_app.config.get("ROUTE_HORIZON_WEEKS", HORIZON_WEEKS)
    period_day = to_paris(period.due_at).date()
    routes, created = materialise_every_route(
        period_day + timedelta(weeks=weeks), today=paris_today()
    )
    db.session.flush()
    return f"{routes} tournée(s) vérifiée(s), {created} date(s) créée(s)"
