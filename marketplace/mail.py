"""Outgoing email: rendered and queued in the outbox (marketplace/outbox/), then sent by SMTP
in production and tests, or written to a folder of .eml files in development."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.headerregistry import HeaderRegistry, UniqueUnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request, url_for
from jinja2 import TemplateNotFound
from sqlalchemy import text as sql

from marketplace.extensions import db
from marketplace.outbox import sending
from marketplace.outbox.models import OutboxMessage


def absolute_url(endpoint: str, **values) -> str:
    """A full link to this site for an email, a QR code or a calendar feed.

    It always starts with PUBLIC_BASE_URL, never with the Host header of the request being
    served: whoever sends the request chooses that header, and a password-reset link pointing
    to their own site would hand them the token.
    """
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values)
        script_root = request.script_root
        if script_root and path.startswith(script_root):
            path = path[len(script_root) :]
        return base + path
    with current_app.test_request_context(base_url=base + "/"):
        return url_for(endpoint, _external=True, **values)


def public_host() -> str:
    """The site's host name as people reach it (PUBLIC_BASE_URL), e.g. for calendar UIDs."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc


class _Subject(UniqueUnstructuredHeader):
    """Python 3.11 folds a long non-ASCII subject into encoded words with the space at the fold
    left *between* them, where every mail reader drops it ("2 foyersà prévenir"; CPython
    gh-92081). Fold those with `email.header`, which keeps the space inside an encoded word."""

    def fold(self, *, policy) -> str:
        usual = super().fold(policy=policy)
        if str(self).isascii() or usual.count(policy.linesep) <= 1:
            return usual  # on one line, nothing was folded: the usual encoding is right
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("subject", _Subject)
MAIL_POLICY = policy.default.clone(header_factory=_HEADERS)


Attachment = tuple[str, str, bytes]  # file name, MIME type ("application/pdf"), content


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    reply_to: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    config = current_app.config
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="circuits-courts.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, mimetype, content in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_email(
    to: str,
    subject: str,
    template: str,
    *,
    attachments: Sequence[Attachment] | None = None,
    reply_to: str | None = None,
    essential: bool = True,
    **context,
) -> OutboxMessage | None:
    """Render `templates/<template>.txt` (and `.html` if present) and queue it in the outbox.

    The row is flushed in the current session, never committed: the email exists only if the
    surrounding transaction commits, and is then sent at once (or later by the
    `deliver_outbox` job). A non-essential message (a group's news) is not queued for an
    account that stopped them: None.
    """
    if not essential and _refuses_non_essential(to):
        return None
    text = render_template(f"{template}.txt", **context)
    try:
        html = render_template(f"{template}.html", **context)
    except TemplateNotFound:  # the HTML version is optional
        html = None
    message = build_message(
        to, subject, text, html, reply_to=reply_to, attachments=attachments or ()
    )
    row = OutboxMessage(
        to_address=to[:320],
        subject=subject[:300],
        reply_to=reply_to,
        essential=essential,
        raw=bytes(message),
    )
    db.session.add(row)
    db.session.flush()
    sending.remember_queued(db.session(), row.id)
    return row


def _refuses_non_essential(to: str) -> bool:
    address = parseaddr(to)[1].lower()
    refused = db.session.execute(
        sql("SELECT 1 FROM users WHERE email = :address AND NOT wants_group_messages"),
        {"address": address},
    ).first()
    return refused is not None


def deliver(message: EmailMessage) -> None:
    """Send one message now, without the outbox (its own errors raised)."""
    transport = sending.Transport(timeout=30)
    try:
        transport.send(message["To"], bytes(message))
    finally:
        transport.close()
