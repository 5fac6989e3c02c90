"""Accounts unused for ACCOUNT_INACTIVE_DAYS are anonymised nightly, never with commitments."""

from datetime import timedelta
from unittest import mock

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.privacy import inactive
from marketplace.privacy.models import AccountDeletion
from marketplace.scheduler.runner import run_period
from tests import factories


def idle_user(days: int, **values) -> User:
    return factories.UserFactory(last_login_at=utcnow() - timedelta(days=days), **values)


def run_job():
    job = load_jobs().get("anonymise_idle_accounts")
    now = utcnow()
    return run_period(job, job.cadence.period_of(now), now, force=True)


def test_idle_accounts_are_anonymised_once_and_others_kept(app):
    limit = app.config["ACCOUNT_INACTIVE_DAYS"]
    idle = idle_user(limit + 1, name="Foyer Oublié")
    recent = idle_user(limit - 1)
    never_seen = factories.UserFactory(created_at=utcnow() - timedelta(days=limit + 5))
    admin = idle_user(limit + 1, is_admin=True)
    owing = idle_user(limit + 1)
    factories.LedgerEntryFactory(user=owing, amount_cents=-500)
    db.session.commit()

    report = run_job()
    assert report.outcome == "succeeded", report
    assert "2 compte(s) anonymisé(s), 1 gardé(s)" in report.summary
    db.session.expire_all()
    assert not db.session.get(User, idle.id).is_active_account
    assert db.session.get(User, idle.id).name == f"Compte supprimé {idle.id}"
    assert not db.session.get(User, never_seen.id).is_active_account
    for kept in (recent, admin, owing):
        assert db.session.get(User, kept.id).is_active_account
    (row, other) = db.session.scalars(select(AccountDeletion).order_by(AccountDeletion.id)).all()
    assert row.reason == "inactive" and row.former_name == "Foyer Oublié"

    # Idempotent: a second run finds nothing more to do.
    again = run_job()
    assert "0 compte(s) anonymisé(s)" in again.summary
    assert len(db.session.scalars(select(AccountDeletion)).all()) == 2


def test_one_bad_account_does_not_stop_the_run(app):
    limit = app.config["ACCOUNT_INACTIVE_DAYS"]
    first, second = idle_user(limit + 1), idle_user(limit + 1)
    db.session.commit()
    real = inactive.anonymise

    def fails_for_first(user, reason):
        if user.id == first.id:
            raise RuntimeError("boom")
        return real(user, reason)

    with mock.patch.object(inactive, "anonymise", fails_for_first):
        outcome = inactive.anonymise_idle_accounts(utcnow())
    db.session.commit()
    assert (outcome.anonymised, outcome.failed) == (1, 1)
    db.session.expire_all()
    assert db.session.get(User, first.id).is_active_account
    assert not db.session.get(User, second.id).is_active_account


def test_the_former_name_is_forgotten_after_the_notice(app):
    user = idle_user(app.config["ACCOUNT_INACTIVE_DAYS"] + 1)
    db.session.commit()
    inactive.anonymise_idle_accounts(utcnow())
    later = utcnow() + timedelta(days=inactive.DELETION_NOTICE_DAYS + 1)
    assert inactive.forget_former_names(later) == 1
    (row,) = db.session.scalars(select(AccountDeletion)).all()
    assert row.former_name is None and row.user_id == user.id
