"""Delivering the outbox: claim a row, hand it to the SMTP server (or the development
folder), record what happened.

Every step runs on its own connection and commits at once, outside the session of the page or
job that queued the email: a row is claimed with a conditional UPDATE (only one worker's
UPDATE matches it), so two workers never send it twice; a temporary failure (server down,
4xx) puts it back in the queue with an exponential delay; a permanent 5xx answer about the
recipient marks it bounced, and its address as bouncing on the account.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections import Counter
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, event, or_, select, text, update
from sqlalchemy.orm import Session

from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.outbox.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

PENDING_KEY = "outbox_pending"  # session.info: ids queued in the current transaction
STALE_CLAIM = timedelta(minutes=15)  # a worker that died mid-send: its claim is taken back
MAX_DELAY = timedelta(hours=6)
BATCH = 500

_table = OutboxMessage.__table__


class Transport:
    """One SMTP connection per delivery pass, opened at the first message."""

    def __init__(self, timeout: float) -> None:
        self.config = current_app.config
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def send(self, to_address: str, raw: bytes) -> None:
        config = self.config
        if config["MAIL_BACKEND"] == "folder":
            write_to_folder(raw, to_address, Path(config["MAIL_FOLDER"]))
            return
        if self.smtp is None:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=self.timeout)
            if config["MAIL_USE_STARTTLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            self.smtp = smtp
        sender = parseaddr(config["MAIL_SENDER"])[1]
        # SMTP carries lines ending in CRLF (smtplib leaves bytes as they are).
        crlf = re.sub(rb"\r?\n", b"\r\n", raw)
        self.smtp.sendmail(sender, [parseaddr(to_address)[1]], crlf)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def write_to_folder(raw: bytes, to_address: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}.eml"
    suffix = 1
    while path.exists():  # several messages within one microsecond
        path = folder / f"{stamp}-{suffix}.eml"
        suffix += 1
    path.write_bytes(raw)
    current_app.logger.info("Email to %s written to %s", to_address, folder)


def _due(now: datetime):
    return or_(
        and_(
            _table.c.status == OutboxStatus.QUEUED.value,
            _table.c.next_attempt_at <= now,
        ),
        and_(
            _table.c.status == OutboxStatus.SENDING.value,
            _table.c.claimed_at < now - STALE_CLAIM,
        ),
    )


def claim(message_id: int, now: datetime) -> tuple[str, bytes, int] | None:
    """Take one due row for this worker (committed at once); None if another has it."""
    with db.engine.begin() as connection:
        taken = connection.execute(
            update(_table)
            .where(_table.c.id == message_id, _due(now))
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_at=now,
                attempts=_table.c.attempts + 1,
            )
        ).rowcount
        if taken != 1:
            return None
        row = connection.execute(
            select(_table.c.to_address, _table.c.raw, _table.c.attempts).where(
                _table.c.id == message_id
            )
        ).one()
    return row.to_address, row.raw, row.attempts


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the attempts made so far, at most MAX_DELAY."""
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    return min(base * 2 ** max(attempts - 1, 0), MAX_DELAY)


_KEEP = object()


def _finish(message_id: int, *, address: str | None = None, bouncing=_KEEP, **values) -> None:
    """Record the attempt's outcome; with `address`, mark it bouncing (a datetime) or working
    again (None) on the account, in the same transaction."""
    with db.engine.begin() as connection:
        connection.execute(
            update(_table)
            .where(_table.c.id == message_id, _table.c.status == OutboxStatus.SENDING.value)
            .values(claimed_at=None, **values)
        )
        if address is not None and bouncing is not _KEEP:
            _mark_address(connection, address, bouncing)


def _mark_address(connection, to_address: str, bouncing_since: datetime | None) -> None:
    """The account's address bounces (or works again); coordinators see it on their lists."""
    address = parseaddr(to_address)[1].lower()
    if bouncing_since is None:
        connection.execute(
            text(
                "UPDATE users SET email_bouncing_since = NULL "
                "WHERE email = :address AND email_bouncing_since IS NOT NULL"
            ),
            {"address": address},
        )
    else:
        connection.execute(
            text(
                "UPDATE users SET email_bouncing_since = :since WHERE email = :address"
            ).bindparams(bindparam("since", type_=UTCDateTime())),
            {"since": bouncing_since, "address": address},
        )


def _permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused):
        return False  # our own address is refused: our configuration, not the recipient
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def send_one(message_id: int, transport: Transport, now: datetime) -> str | None:
    """Claim and send one row; its new status (None if another worker had it).

    Raises OSError / SMTPServerDisconnected after putting the row back in the queue when the
    server cannot be reached, so a pass stops instead of trying every row in turn.
    """
    claimed = claim(message_id, now)
    if claimed is None:
        return None
    to_address, raw, attempts = claimed
    try:
        transport.send(to_address, raw)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        reason = f"{type(error).__name__}: {error}"[:500]
        if _permanent(error):
            _finish(
                message_id,
                status=OutboxStatus.BOUNCED.value,
                last_error=reason,
                address=to_address,
                bouncing=now,
            )
            return OutboxStatus.BOUNCED.value
        if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            status = OutboxStatus.FAILED.value
            _finish(message_id, status=status, last_error=reason)
        else:
            status = OutboxStatus.QUEUED.value
            _finish(
                message_id,
                status=status,
                last_error=reason,
                next_attempt_at=now + retry_delay(attempts),
            )
        logger.warning(
            "Email %d to %s not sent (attempt %d): %s", message_id, to_address, attempts, reason
        )
        if isinstance(error, OSError | smtplib.SMTPServerDisconnected):
            transport.close()
            raise
        return status
    _finish(
        message_id,
        status=OutboxStatus.SENT.value,
        sent_at=now,
        last_error=None,
        address=to_address,
        bouncing=None,
    )
    return OutboxStatus.SENT.value


def deliver(message_ids: list[int] | None = None, *, timeout: float = 30.0) -> Counter:
    """Send the given rows (or every due row), each at most once; the count per outcome."""
    now = utcnow()
    if message_ids is None:
        with db.engine.connect() as connection:
            message_ids = list(
                connection.scalars(
                    select(_table.c.id).where(_due(now)).order_by(_table.c.id).limit(BATCH)
                )
            )
    outcomes: Counter = Counter()
    transport = Transport(timeout)
    try:
        for message_id in message_ids:
            status = send_one(message_id, transport, now)
            outcomes[status or "taken_by_another"] += 1
    except (OSError, smtplib.SMTPServerDisconnected):
        outcomes["server_unreachable"] += 1
    finally:
        transport.close()
    return outcomes


def remember_queued(session: Session, message_id: int) -> None:
    session.info.setdefault(PENDING_KEY, []).append(message_id)


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    """Emails queued by a transaction are tried as soon as it commits, so they stay prompt;
    a failure leaves them queued for the job and never reaches the page."""
    if session.in_nested_transaction():
        return  # a savepoint released: its rows wait for the real commit
    pending = session.info.pop(PENDING_KEY, None)
    if not pending or not has_app_context() or not current_app.config["OUTBOX_SEND_AT_ONCE"]:
        return
    try:
        deliver(pending, timeout=current_app.config["OUTBOX_AT_ONCE_TIMEOUT"])
    except Exception:  # noqa: BLE001 - the job will try again
        logger.exception("Emails queued by this transaction could not be tried at once")


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its rows are gone
        session.info.pop(PENDING_KEY, None)
