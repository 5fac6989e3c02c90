"""`flask seasons repair`: complete the seasons of subscriptions signed before they were planned
whole (deliveries, installments and commitments for every remaining covered day)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.baskets.seasons import plan_seasons
from marketplace.db import utcnow
from marketplace.delivery.days import materialise_all
from marketplace.extensions import db
from marketplace.timezones import paris_today

seasons = AppGroup("seasons", help="Saisons des contrats : compléter les abonnements.")


@seasons.command("repair")
@click.option("--dry-run", is_flag=True, help="Montre ce qui changerait, sans rien enregistrer.")
def repair_command(dry_run: bool) -> None:
    """Create every distribution day of the published seasons, then give each live
    subscription its missing deliveries, installments and commitments. Safe to run again:
    a second run changes nothing."""
    now = utcnow()
    days = materialise_all(paris_today(now), current_app.config["DISTRIBUTION_HORIZON_WEEKS"])
    report = plan_seasons(now)
    for line in report.lines:
        click.echo(f"  {line}")
    click.echo(f"Calendriers : {days}.")
    click.echo(f"Abonnements : {report}.")
    if dry_run:
        db.session.rollback()
        click.echo("Essai : rien n'a été enregistré.")
    else:
        db.session.commit()
