"""Test helpers: the test database, a real SMTP server, and an SQL query counter."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import event

from marketplace.config import database_url
from marketplace.extensions import db


def database_url_for_tests(tmp: Path) -> str:
    """PostgreSQL when DATABASE_URL says so (as in CI), otherwise a fresh SQLite file."""
    if os.environ.get("DATABASE_URL"):
        return database_url(tmp)
    return f"sqlite:///{tmp / 'tests.sqlite3'}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _CollectingHandler:
    def __init__(self, messages: list[Message]):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        # policy.default decodes headers as a mail reader does (an encoded subject reads plainly).
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    hostname = "127.0.0.1"

    def __init__(self, port: int | None = None, handler_class: type | None = None) -> None:
        self.messages: list[Message] = []
        self.port = port or free_port()
        handler = (handler_class or _CollectingHandler)(self.messages)
        self._controller = Controller(handler, hostname=self.hostname, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def message_text(message: Message) -> str:
    """The plain-text body of a received email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)


@contextlib.contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the SQL statements run inside the block (to guard pages against N+1 queries)."""
    counter = QueryCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def login_id(user) -> str:
    """What a logged-in session cookie holds for `user`: a new open session of theirs,
    committed (with the test's data) so that another app on the database sees it too."""
    from marketplace.accounts.sessions import open_session
    from marketplace.extensions import db

    token = open_session(user, remember=False, device="tests")
    db.session.commit()
    return f"{user.id}:{token}"
