"""Creating what a unique constraint guards, when two requests may create it at the same moment
(a double click, two tabs, a volunteer and a coordinator): the first one wins, and the second
gets the first one's answer or a clear message, never a server error.

Every create path that a unique constraint guards checks first, in words ("you already have an
order for this day"), and then inserts inside `first_one_wins`: when two requests both passed
the check, the database refuses the second insert; the SAVEPOINT keeps the transaction usable
(PostgreSQL aborts a transaction on an error otherwise) and the refusal becomes
`AlreadyCreatedError`, a DomainError the view shows like any refusal, or turns into the first
request's answer when
`existing` found the row the first request made. Only unique violations are caught; any other
integrity error (a foreign key, a check) is still a bug to hear about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError
from marketplace.extensions import db

T = TypeVar("T")

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


class AlreadyCreatedError(DomainError):
    """Another request created the same thing a moment ago; `existing` is its row, if known."""

    def __init__(self, message: str, *, field: str | None = None, existing: Any = None) -> None:
        super().__init__(message, field=field)
        self.existing = existing


def is_unique_violation(error: IntegrityError) -> bool:
    original = error.orig
    if getattr(original, "sqlstate", None) == UNIQUE_VIOLATION:  # psycopg 3
        return True
    return "UNIQUE constraint failed" in str(original)  # SQLite


@contextmanager
def first_one_wins(
    message: str,
    *,
    field: str | None = None,
    existing: Callable[[], Any] | None = None,
) -> Iterator[None]:
    """Run the block (it adds rows) and flush it under a SAVEPOINT; a unique violation undoes
    only the block and raises AlreadyCreatedError(message) with what `existing()` finds now that the
    other request has committed."""
    _sqlite_transaction_first()
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        raise AlreadyCreatedError(
            message, field=field, existing=existing() if existing is not None else None
        ) from error


def _sqlite_transaction_first() -> None:
    """Python's sqlite3 opens a transaction only before a write: a SAVEPOINT issued first
    would become the transaction itself, and releasing it would commit. Open it first (a
    deferred BEGIN takes no lock until the insert); PostgreSQL needs nothing."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def insert_once(
    row: T,
    message: str,
    *,
    field: str | None = None,
    existing: Callable[[], Any] | None = None,
) -> T:
    """Add `row` and flush it; see first_one_wins."""
    with first_one_wins(message, field=field, existing=existing):
        db.session.add(row)
    return row
