"""Alembic environment (Flask-Migrate's standard one, adapted).

Differences from the generated file: every domain's models are imported so autogenerate sees
the whole schema; instants (marketplace.db.UTCDateTime) are written into revisions as plain
`sa.DateTime(timezone=True)`, so a revision never imports application code; and logging is
configured only when nobody did it before (the test suite runs migrations in-process).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.schema import DefaultClause
from sqlalchemy.sql.elements import False_, True_

import marketplace.models  # noqa: F401 - registers every table in the metadata
from marketplace.db import UTCDateTime

config = context.config

# Configure logging for the `flask db` commands, but leave alone a process that already did
# (the test suite runs migrations in-process and captures logs itself).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Render items so that a revision is self-contained and runs on every database.

    Instants become `sa.DateTime(timezone=True)` instead of an import of application code, and
    boolean server defaults (`true()` / `false()`) stay portable expressions instead of the
    `1` / `0` literals of the SQLite database the revision was generated against, which
    PostgreSQL refuses for a boolean column.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "server_default" and isinstance(obj, DefaultClause):
        if isinstance(obj.arg, True_):
            return "sa.true()"
        if isinstance(obj.arg, False_):
            return "sa.false()"
    return False


def run_migrations_offline():
    """Write the SQL to standard output instead of running it (`flask db upgrade --sql`)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a connection to the application's database."""

    # Do not write an empty revision when the models did not change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
