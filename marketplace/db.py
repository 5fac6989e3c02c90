"""Declarative base, naming convention and column types shared by every domain."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations match on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes, stores UTC, always returns an aware UTC value.

    SQLite has no time zone type, so the value is stored naive in UTC there.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("An instant must carry its time zone (naive datetime refused).")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def choice_check(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a string column within a closed list of values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def use_real_sqlite_transactions(engine: Engine) -> None:
    """Make SQLite transactions behave like PostgreSQL's (after SQLAlchemy's pysqlite recipe).

    The sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE, never before
    a SAVEPOINT: a savepoint opened first then runs outside any transaction and releasing it
    commits at once, so its rows survive the rollback of the transaction around it (a webhook
    "already processed" whose effects were rolled back, an attempt committed without its
    card). As in the recipe, the driver's own handling is turned off (isolation_level None)
    and BEGIN is emitted here, by SQLAlchemy's transaction: before the first statement that
    writes or opens a savepoint (savepoints, DML and DDL are then transactional). Reads before
    it see the latest committed rows, as PostgreSQL's READ COMMITTED does, and hold no lock:
    two requests that read then write never deadlock on SQLite's lock upgrade.
    """
    if engine.dialect.name != "sqlite" or engine in _REAL_TRANSACTIONS:
        return
    _REAL_TRANSACTIONS.add(engine)

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_writing(connection, cursor, statement, parameters, context, many) -> None:
        if (
            connection.in_transaction()
            and not cursor.connection.in_transaction
            and _writes(statement)
        ):
            cursor.execute("BEGIN")


_REAL_TRANSACTIONS: weakref.WeakSet[Engine] = weakref.WeakSet()
_READ_ONLY = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE", "END")


def _writes(statement: str) -> bool:
    words = statement.lstrip().split(None, 1)
    return bool(words) and words[0].upper() not in _READ_ONLY
