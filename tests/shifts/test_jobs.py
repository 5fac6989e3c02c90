"""Reminders the day before and understaffing alerts: each sent once, whatever the runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.scheduler.registry import Minutely
from marketplace.scheduler.runner import run_period
from marketplace.shifts.models import ShiftSignup, StaffingAlert
from tests import clock, factories
from tests.helpers import message_text
from tests.shifts.support import day_in, member_of, today


def _run(name: str, days_ago: int = 0, force: bool = False):
    job = load_jobs().get(name)
    period = job.cadence.period_of_day(today() - timedelta(days=days_ago))
    return run_period(job, period, utcnow(), force=force)


def test_volunteer_reminded_once_the_day_before(outbox):
    tomorrow = day_in(1)
    later = day_in(5, schedule=tomorrow.schedule)
    role = factories.VolunteerRoleFactory(group=tomorrow.group, name="Ouverture")
    volunteer = member_of(tomorrow.group, name="Inès Bénévole", email="ines@example.org")
    factories.ShiftSignupFactory(distribution_day=tomorrow, role=role, user=volunteer)
    factories.ShiftSignupFactory(distribution_day=later, role=role, user=volunteer)
    factories.ShiftSignupFactory(
        distribution_day=tomorrow,
        role=role,
        user=member_of(tomorrow.group),
        state="cancelled",
        cancelled_at=utcnow(),
    )
    db.session.commit()

    assert _run("remind_volunteers", days_ago=1).outcome == "succeeded"  # catch-up of yesterday
    _run("remind_volunteers")
    _run("remind_volunteers", force=True)  # the same period forced again

    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "ines@example.org"
    assert "Rappel : votre permanence Ouverture" in message["Subject"]
    body = message_text(message)
    assert "Bonjour Inès Bénévole," in body
    assert "permanence « Ouverture »" in body
    assert f"/groupes/{tomorrow.group_id}/permanences" in body
    reminded = db.session.scalars(select(ShiftSignup).where(ShiftSignup.reminded_at.is_not(None)))
    assert [signup.distribution_day_id for signup in reminded] == [tomorrow.id]


def test_reminder_in_the_volunteers_language(outbox):
    day = day_in(1)
    role = factories.VolunteerRoleFactory(group=day.group, name="Setup")
    factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group, language="en")
    )
    db.session.commit()
    _run("remind_volunteers")
    assert len(outbox) == 1


def test_a_reminder_the_mail_server_refused_is_sent_by_the_outbox_once(outbox, app, monkeypatch):
    day = day_in(1)
    role = factories.VolunteerRoleFactory(group=day.group)
    signup = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group)
    )
    db.session.commit()
    with monkeypatch.context() as patch:
        patch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
        assert _run("remind_volunteers").outcome == "succeeded"
    db.session.refresh(signup)
    assert signup.reminded_at is not None  # queued in the outbox with the run's work
    assert outbox == []
    _run("remind_volunteers", force=True)  # not queued a second time
    clock.shift(timedelta(minutes=5))
    run_period(load_jobs().get("deliver_outbox"), Minutely().period_of(utcnow()), utcnow())
    assert len(outbox) == 1


def test_understaffed_day_alerts_coordinators_once(outbox):
    soon = day_in(2)
    far = day_in(10, schedule=soon.schedule)
    role = factories.VolunteerRoleFactory(group=soon.group, name="Émargement", needed_per_day=2)
    factories.ShiftSignupFactory(distribution_day=soon, role=role, user=member_of(soon.group))
    member_of(soon.group, role="coordinator", name="Coralie Coord", email="coralie@example.org")
    member_of(soon.group, email="membre@example.org")
    db.session.commit()

    _run("alert_understaffed_days", days_ago=1)
    _run("alert_understaffed_days")
    _run("alert_understaffed_days", force=True)

    assert [message["To"] for message in outbox] == ["coralie@example.org"]
    body = message_text(outbox[0])
    assert "Il manque encore des bénévoles" in body
    assert "Émargement : 1 personne manquante (1 inscrite·s sur 2)" in body
    assert f"/groupes/{soon.group_id}/permanences/suivi" in body
    alerts = db.session.scalars(select(StaffingAlert.distribution_day_id)).all()
    assert alerts == [soon.id]
    assert far.id not in alerts


def test_staffed_or_cancelled_days_raise_no_alert(outbox):
    staffed = day_in(1)
    cancelled = day_in(2, schedule=staffed.schedule, status="cancelled")
    role = factories.VolunteerRoleFactory(group=staffed.group, needed_per_day=1)
    factories.ShiftSignupFactory(distribution_day=staffed, role=role, user=member_of(staffed.group))
    member_of(staffed.group, role="coordinator")
    db.session.commit()
    _run("alert_understaffed_days")
    assert outbox == []
    assert cancelled.id


def test_members_also_alerted_when_the_site_says_so(outbox, app, monkeypatch):
    day = day_in(2)
    role = factories.VolunteerRoleFactory(group=day.group, needed_per_day=2)
    on_roster = member_of(day.group, email="deja@example.org")
    factories.ShiftSignupFactory(distribution_day=day, role=role, user=on_roster)
    member_of(day.group, role="coordinator", email="coord@example.org")
    member_of(day.group, email="dispo@example.org")
    db.session.commit()

    monkeypatch.setitem(app.config, "SHIFTS_UNDERSTAFFED_ALERT_MEMBERS", True)
    assert _run("alert_understaffed_days").summary == "1 distribution(s) signalée(s)"
    assert sorted(message["To"] for message in outbox) == ["coord@example.org", "dispo@example.org"]
    help_wanted = next(m for m in outbox if m["To"] == "dispo@example.org")
    assert "a encore besoin de bénévoles" in message_text(help_wanted)
