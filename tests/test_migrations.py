"""The migrations build exactly the schema the models declare, and unwind cleanly.

Runs on SQLite always, and also on PostgreSQL when DATABASE_URL points to a server: there, a
scratch database is created for the test and dropped afterwards.
"""

from __future__ import annotations

import os
import pprint
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from marketplace.config import database_url
from marketplace.extensions import db

POSTGRES_CONFIGURED = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))


def _scratch_postgres_database(tmp_path: Path) -> Iterator[str]:
    """Create an empty database on the server DATABASE_URL points to; drop it afterwards."""
    server_url = make_url(database_url(tmp_path))
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server_url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_CONFIGURED, reason="PostgreSQL : DATABASE_URL n'est pas défini"
            ),
        ),
    ]
)
def empty_database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        yield from _scratch_postgres_database(tmp_path)


@pytest.fixture
def migrated_app(make_app: Callable[..., Flask], empty_database_url: str) -> Iterator[Flask]:
    application = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(migrated_app: Flask):
    flask_migrate.upgrade(revision="head")

    differences = schema_differences()
    assert differences == [], (
        "The migrations and the models disagree; write a new revision with "
        '`make migration m="..."`:\n' + pprint.pformat(differences)
    )

    flask_migrate.downgrade(revision="base")

    assert inspect(db.engine).get_table_names() == ["alembic_version"]
