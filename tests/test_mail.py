"""Outgoing email through a real SMTP server, the development folder, and SMTP failures."""

import email
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader

from marketplace.extensions import db
from marketplace.mail import build_message, deliver, send_email
from tests.helpers import free_port, message_text

SUBJECT = "Votre panier de légumes d'été est prêt"
RECIPIENT = "Zoé Lefèvre <zoe.lefevre@example.org>"
TEXT = "Bonjour Zoé,\nvos poireaux et céleris vous attendent à la Maison des associations.\n"
HTML = "<p>Bonjour Zoé, vos poireaux et céleris vous attendent à la Maison des associations.</p>"


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


def html_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def test_a_message_reaches_the_smtp_server_with_both_parts_and_accents_intact(app, outbox):
    deliver(build_message(RECIPIENT, SUBJECT, TEXT, HTML))

    [received] = outbox
    assert header(received, "Subject") == SUBJECT
    assert header(received, "To") == RECIPIENT
    assert header(received, "From") == app.config["MAIL_SENDER"]
    assert received["Message-ID"]
    assert received["Date"]
    # SMTP carries lines ending in CRLF.
    assert message_text(received).replace("\r\n", "\n") == TEXT
    assert html_part(received).strip() == HTML


@pytest.mark.parametrize(
    "subject",
    [
        # Folded right before "à": the space must survive (it once read "foyersà").
        "Tournée du 5 novembre 2027 annulée : 2 foyers à prévenir par téléphone",
        "Tournée du 7 décembre 2026 annulée : 2 foyers à prévenir par téléphone",
        "Distribution du mercredi 29 février 2028 à la Maison des associations : "
        "rappel de votre permanence « accueil et émargement » à l'entrée",
        "A long subject in plain ASCII only, folded by the standard folding of headers as usual",
    ],
)
def test_a_long_subject_keeps_every_space_wherever_it_is_folded(app, outbox, subject):
    message = build_message(RECIPIENT, subject, TEXT)
    assert all(len(line) <= 78 for line in bytes(message).decode().splitlines())
    deliver(message)

    [received] = outbox
    unfolded = header(received, "Subject").replace("\r\n", "")  # RFC 5322 unfolding
    assert unfolded == subject
    assert email.message_from_bytes(bytes(message), policy=policy.default)["Subject"] == subject


def test_send_email_renders_the_text_and_html_templates(make_app, outbox):
    mail_app = make_app()
    # A throwaway app with an extra template source, so no test template ships in templates/.
    mail_app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "email/essai.txt": "Bonjour {{ name }}, votre panier vous attend.",
                    "email/essai.html": "<p>Bonjour {{ name }}, votre panier vous attend.</p>",
                }
            ),
            mail_app.jinja_env.loader,
        ]
    )

    with mail_app.app_context():
        send_email(RECIPIENT, SUBJECT, "email/essai", name="Zoé <la référente>")
        assert outbox == []  # queued: sent only once the transaction commits
        db.session.commit()

    [received] = outbox
    assert header(received, "Subject") == SUBJECT
    assert message_text(received).strip() == "Bonjour Zoé <la référente>, votre panier vous attend."
    # Names are escaped in HTML like everywhere else in the site.
    assert "Zoé &lt;la référente&gt;" in html_part(received)


def test_the_folder_backend_writes_a_readable_eml_file(make_app, tmp_path: Path, outbox):
    folder_app = make_app(MAIL_BACKEND="folder", MAIL_FOLDER=str(tmp_path))

    with folder_app.app_context():
        deliver(build_message(RECIPIENT, SUBJECT, TEXT, HTML))

    [written] = list(tmp_path.glob("*.eml"))
    assert "vos poireaux et céleris vous attendent" in written.read_text(encoding="utf-8")
    parsed = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed["To"] == RECIPIENT
    assert parsed.get_body(("plain",)).get_content() == TEXT
    assert outbox == []  # nothing sent


def test_an_unreachable_smtp_server_raises_so_the_caller_can_tell_someone(make_app, outbox):
    unreachable_app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())

    with unreachable_app.app_context(), pytest.raises(OSError):
        deliver(build_message(RECIPIENT, SUBJECT, TEXT))

    assert outbox == []
