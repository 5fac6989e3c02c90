"""Renewal reminders: sent some days before the period ends, once, whatever the runs; a
household that already renewed is left alone; one failure does not stop the others."""

from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.membership import reminders
from marketplace.membership.models import YearlyMembership
from marketplace.scheduler.runner import run_period
from marketplace.timezones import paris_today
from tests.helpers import message_text
from tests.membership.helpers import group_with_membership, member_of


def _membership(group, user, ends_on: date) -> YearlyMembership:
    row = YearlyMembership(
        group_id=group.id,
        user_id=user.id,
        period_starts_on=ends_on.replace(year=ends_on.year - 1) + timedelta(days=1),
        period_ends_on=ends_on,
        amount_cents=1500,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _run(force: bool = False):
    job = load_jobs().get("remind_membership_renewals")
    return run_period(job, job.cadence.period_of_day(paris_today()), utcnow(), force=force)


def test_reminded_once_before_the_end(app, outbox):
    today = paris_today()
    group = group_with_membership(remind_days_before=30)
    soon = member_of(group, name="Alice Martin", email="alice@example.org")
    _membership(group, soon, today + timedelta(days=20))
    later = member_of(group)
    _membership(group, later, today + timedelta(days=60))
    renewed = member_of(group)
    ending = _membership(group, renewed, today + timedelta(days=10))
    _membership(group, renewed, ending.period_ends_on + timedelta(days=365))
    db.session.commit()

    assert _run().outcome == "succeeded"
    _run(force=True)  # the same period again: nothing more

    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "alice@example.org"
    assert "arrive à échéance" in message["Subject"]
    body = message_text(message)
    assert "Bonjour Alice Martin," in body and f"/groupes/{group.slug}/adhesion" in body
    reminded = db.session.scalars(
        select(YearlyMembership.user_id).where(YearlyMembership.reminded_at.is_not(None))
    ).all()
    assert reminded == [soon.id]


def test_one_failure_does_not_stop_the_run_and_is_tried_again(app, outbox):
    today = paris_today()
    group = group_with_membership()
    first, second = member_of(group), member_of(group)
    _membership(group, first, today + timedelta(days=5))
    _membership(group, second, today + timedelta(days=5))
    db.session.commit()
    real = reminders.send_email
    calls = []

    def flaky(to, *args, **kwargs):
        calls.append(to)
        if len(calls) == 1:
            raise OSError("the mail server is down")
        return real(to, *args, **kwargs)

    with mock.patch.object(reminders, "send_email", flaky):
        assert reminders.send_renewal_reminders(today, utcnow()) == 1
    db.session.commit()
    assert len(outbox) == 1
    assert reminders.send_renewal_reminders(today, utcnow()) == 1  # the failed one, now
    assert reminders.send_renewal_reminders(today, utcnow()) == 0
    db.session.commit()  # the reminder waits in the outbox until its transaction commits
    assert len(outbox) == 2
