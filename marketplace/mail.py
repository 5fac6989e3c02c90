"""Outgoing email: SMTP in production and tests, a folder of .eml files in development."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.headerregistry import HeaderRegistry, UniqueUnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request, url_for
from jinja2 import TemplateNotFound


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


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    config = current_app.config
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="circuits-courts.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments or ():
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_email(
    to: str,
    subject: str,
    template: str,
    *,
    attachments: list[tuple[str, str, bytes]] | None = None,
    **context,
) -> EmailMessage:
    """Render `templates/<template>.txt` (and `.html` if present) and send it, with
    `attachments` as (file name, content type, bytes), e.g. an invoice's PDF."""
    text = render_template(f"{template}.txt", **context)
    try:
        html = render_template(f"{template}.html", **context)
    except TemplateNotFound:  # the HTML version is optional
        html = None
    message = build_message(to, subject, text, html, attachments=attachments)
    deliver(message)
    return message


def deliver(message: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "folder":
        _write_to_folder(message, Path(config["MAIL_FOLDER"]))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_STARTTLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _write_to_folder(message: EmailMessage, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    (folder / f"{stamp}.eml").write_bytes(bytes(message))
    current_app.logger.info("Email to %s written to %s", message["To"], folder)
