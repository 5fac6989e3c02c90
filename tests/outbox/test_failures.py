"""What the mail server answers: a temporary refusal is retried later and given up after
OUTBOX_MAX_ATTEMPTS; a permanent 5xx about the recipient bounces and marks the address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.mail import send_email
from marketplace.outbox import sending
from marketplace.outbox.models import OutboxMessage
from tests import clock, factories
from tests.helpers import SmtpSink


class _Refusing:
    """An SMTP server that refuses some recipients: `bounce…` for good, `busy…` for now."""

    def __init__(self, messages):
        self.messages = messages

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def _queue(to: str) -> None:
    send_email(to, "Sujet", "email/password_reset", user=None, link="http://x", validity="1 h")


def _row(to: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)).one()


def test_a_permanent_refusal_bounces_and_marks_the_account(make_app):
    server = SmtpSink(handler_class=_Refusing)
    server.start()
    try:
        with make_app(MAIL_PORT=server.port).app_context():
            factories.UserFactory(email="bounce@example.org")
            db.session.commit()
            _queue("bounce@example.org")
            _queue("ok@example.org")
            db.session.commit()

            assert _row("bounce@example.org").status == "bounced"
            assert "550" in _row("bounce@example.org").last_error
            assert _row("ok@example.org").status == "sent"
            user = db.session.scalars(select(User).where(User.email == "bounce@example.org")).one()
            assert user.email_bouncing_since is not None
    finally:
        server.stop()
    assert len(server.messages) == 1


def test_a_temporary_refusal_is_retried_later_then_given_up(make_app):
    server = SmtpSink(handler_class=_Refusing)
    server.start()
    try:
        with make_app(MAIL_PORT=server.port, OUTBOX_MAX_ATTEMPTS=3).app_context():
            _queue("busy@example.org")
            db.session.commit()
            row = _row("busy@example.org")
            assert (row.status, row.attempts) == ("queued", 1)
            assert row.next_attempt_at - row.created_at >= timedelta(seconds=59)

            assert sending.deliver() == {}  # not due yet
            clock.shift(timedelta(minutes=1, seconds=5))
            sending.deliver()
            row = _row("busy@example.org")
            assert (row.status, row.attempts) == ("queued", 2)
            # Twice as long the second time.
            assert row.next_attempt_at >= row.created_at + timedelta(minutes=3)
            clock.shift(timedelta(minutes=3))
            sending.deliver()
            assert (_row("busy@example.org").status, _row("busy@example.org").attempts) == (
                "failed",
                3,
            )
            clock.shift(timedelta(hours=1))
            assert sending.deliver() == {}  # given up: never tried again
    finally:
        server.stop()
    assert server.messages == []
