"""The outbox: an email exists only if its transaction commits, is tried at once, and is
delivered exactly once by the worker whatever the SMTP server does meanwhile."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.mail import send_email
from marketplace.outbox import sending
from marketplace.outbox.models import OutboxMessage
from marketplace.scheduler.registry import Minutely
from marketplace.scheduler.runner import run_due, run_period
from tests import clock, factories
from tests.helpers import SmtpSink, free_port, message_text

TEMPLATE = "email/password_reset"  # any existing template with simple context


def queue(to: str = "zoe@example.org", **options) -> OutboxMessage | None:
    return send_email(
        to,
        "Votre panier",
        TEMPLATE,
        user=None,
        link="http://localhost/x",
        validity="1 h",
        **options,
    )


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_email_is_queued_with_its_transaction_and_sent_once_it_commits(app, outbox):
    row = queue()
    assert row is not None and row.status == "queued"
    assert outbox == []  # flushed, not committed: nothing sent yet

    db.session.commit()

    assert [message["To"] for message in outbox] == ["zoe@example.org"]
    [stored] = rows()
    assert (stored.status, stored.attempts) == ("sent", 1)
    assert stored.sent_at is not None


def test_a_rolled_back_transaction_sends_nothing(app, outbox):
    queue()
    db.session.rollback()
    db.session.commit()

    assert outbox == []
    assert rows() == []


def test_an_email_queued_in_a_released_savepoint_waits_for_the_real_commit(app, outbox):
    with db.session.begin_nested():
        queue()
    assert outbox == []
    db.session.commit()
    assert len(outbox) == 1


def test_reply_to_and_attachments_travel_with_the_message(app, outbox):
    queue(
        reply_to="coralie@example.org",
        attachments=[("facture-12.pdf", "application/pdf", b"%PDF-1.4 facture")],
    )
    db.session.commit()

    [received] = outbox
    assert received["Reply-To"] == "coralie@example.org"
    [attachment] = [part for part in received.walk() if part.get_filename()]
    assert attachment.get_filename() == "facture-12.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == b"%PDF-1.4 facture"
    assert "nouveau mot de passe" in message_text(received)


def test_a_household_that_stopped_group_news_still_gets_essential_emails(app, outbox):
    factories.UserFactory(email="calme@example.org", wants_group_messages=False)
    db.session.commit()

    assert queue("calme@example.org", essential=False) is None
    assert queue("calme@example.org") is not None
    db.session.commit()

    assert len(outbox) == 1


def test_the_folder_backend_writes_each_queued_email_as_a_file(make_app, tmp_path: Path, outbox):
    folder_app = make_app(MAIL_BACKEND="folder", MAIL_FOLDER=str(tmp_path))
    with folder_app.app_context():
        queue()
        queue("yves@example.org")
        db.session.commit()

    assert len(list(tmp_path.glob("*.eml"))) == 2
    assert outbox == []
    assert {row.status for row in rows()} == {"sent"}


def test_pages_answer_during_an_smtp_outage_and_the_worker_delivers_each_email_once(make_app, app):
    port = free_port()
    down_app = make_app(MAIL_PORT=port)  # nothing listens there yet: the server is down
    people = [factories.UserFactory(email=f"foyer{n}@example.org") for n in range(3)]
    db.session.commit()
    browser = down_app.test_client()

    for person in people:
        response = browser.post("/compte/mot-de-passe/oublie", data={"email": person.email})
        assert response.status_code == 302  # the page answers as usual

    queued = rows()
    assert [(row.status, row.attempts) for row in queued] == [("queued", 1)] * 3
    assert all("ConnectionRefusedError" in row.last_error for row in queued)

    server = SmtpSink(port=port)
    server.start()
    try:
        with down_app.app_context():
            worker = load_jobs().get("deliver_outbox")
            # Before the retry delay: nothing is due yet.
            run_period(worker, Minutely().period_of(utcnow()), utcnow())
            assert server.messages == []
            clock.shift(timedelta(minutes=2))
            [report] = run_due(load_jobs(), utcnow(), ["deliver_outbox"])
            assert report.outcome == "succeeded"
            clock.shift(timedelta(minutes=10))
            run_due(load_jobs(), utcnow(), ["deliver_outbox"])
    finally:
        server.stop()

    assert sorted(message["To"] for message in server.messages) == sorted(
        person.email for person in people
    )
    assert {row.status for row in rows()} == {"sent"}


def test_two_workers_at_once_send_each_email_once(make_app, app, outbox):
    quiet_app = make_app(OUTBOX_SEND_AT_ONCE=False)
    with quiet_app.app_context():
        for n in range(12):
            queue(f"foyer{n}@example.org")
        db.session.commit()
    assert outbox == []

    start = threading.Barrier(2)
    results = []

    def worker() -> None:
        with quiet_app.app_context():
            start.wait()
            results.append(sending.deliver())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(message["To"] for message in outbox) == sorted(
        f"foyer{n}@example.org" for n in range(12)
    )
    assert sum(result["sent"] for result in results) == 12
    assert {row.status for row in rows()} == {"sent"}


def test_a_claimed_email_cannot_be_claimed_again(make_app):
    with make_app(OUTBOX_SEND_AT_ONCE=False).app_context():
        row_id = queue().id
        db.session.commit()
        now = utcnow()
        assert sending.claim(row_id, now) is not None
        assert sending.claim(row_id, now) is None  # the second worker goes on to another


def test_the_queue_depth_and_failures_are_metrics(client, app):
    for status, sent_at in (("queued", None), ("queued", None), ("failed", None)):
        db.session.add(
            OutboxMessage(
                to_address="x@example.org", subject="s", raw=b"x", status=status, sent_at=sent_at
            )
        )
    db.session.commit()

    text = client.get("/metrics").get_data(as_text=True)

    assert 'marketplace_outbox_messages{status="queued"} 2.0' in text
    assert 'marketplace_outbox_messages{status="failed"} 1.0' in text
    assert 'marketplace_outbox_messages{status="bounced"} 0.0' in text
    assert "marketplace_outbox_oldest_queued_timestamp_seconds" in text
