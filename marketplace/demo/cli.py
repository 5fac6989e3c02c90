"""`flask demo seed`: the demo territory, for newcomers and demonstrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import ACCOUNTS, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.timezones import paris_today

demo = AppGroup("demo", help="Territoire de démonstration.")


@demo.command("seed")
def seed_command() -> None:
    """Create the demo territory (safe to run again: only what is missing is added)."""
    report = seed_demo_territory(paris_today(), current_app.config["DISTRIBUTION_HORIZON_WEEKS"])
    db.session.commit()
    click.echo(f"Territoire de démonstration prêt ({report.created} éléments ajoutés).")
    click.echo(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
    for account in ACCOUNTS:
        click.echo(f"  {account.email}")
