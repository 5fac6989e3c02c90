"""Alembic (through Flask-Migrate) loaded when a migration runs, not in every web worker.

Alembic brings Mako and Pygments with it: several MiB in each worker that never migrates. The
app gets a stand-in for Flask-Migrate's configuration and its `flask db` command group; the
first use of either (`flask db upgrade`, `flask_migrate.upgrade()`, migrations/env.py)
configures the real Flask-Migrate, with the same settings as before.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, g
from flask.cli import with_appcontext

MIGRATE_SETTINGS = {"render_as_batch": True, "compare_type": True}


class _MigrateConfigOnFirstUse:
    """Stands for Flask-Migrate's `app.extensions["migrate"]` until something reads it."""

    def __init__(self, app: Flask, db, directory: Path) -> None:
        self._app, self._db, self._directory = app, db, directory
        self._real = None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            from flask_migrate import Migrate

            Migrate(**MIGRATE_SETTINGS).init_app(
                self._app, self._db, directory=str(self._directory)
            )
            self._real = self._app.extensions["migrate"]
        return getattr(self._real, name)


class _DbCommands(click.Group):
    """`flask db …`: Flask-Migrate's commands, imported when the group is used."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db

        return db

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get_command(ctx, name)


@click.group(cls=_DbCommands)
@click.option(
    "-d", "--directory", default=None, help='Migration script directory (default is "migrations")'
)
@click.option(
    "-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts"
)
@with_appcontext
def db_commands(directory, x_arg) -> None:
    """Perform database migrations."""
    # As Flask-Migrate's own group does: read by Migrate.get_config().
    g.directory = directory
    g.x_arg = x_arg


def init_app(app: Flask, db, directory: Path) -> None:
    app.extensions["migrate"] = _MigrateConfigOnFirstUse(app, db, directory)
    app.cli.add_command(db_commands, name="db")
