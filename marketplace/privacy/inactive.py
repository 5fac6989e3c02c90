"""Accounts nobody has signed in to for ACCOUNT_INACTIVE_DAYS are anonymised.

Idempotent: an anonymised account is closed, so it is never picked again. Each account is
done under its own savepoint: one that fails (or has open commitments, which are never
touched) is counted and skipped, the others go on. Services flush and never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.privacy.erasure import anonymise, open_commitments
from marketplace.privacy.models import AccountDeletion, DeletionReason

logger = logging.getLogger(__name__)

BATCH = 500  # accounts looked at per run; the next run takes the rest
DELETION_NOTICE_DAYS = 90  # the coordinators see the former name this long, then a pseudonym


@dataclass
class Outcome:
    anonymised: int = 0
    kept: int = 0  # open commitments: never anonymised automatically
    failed: int = 0

    def summary(self) -> str:
        return (
            f"{self.anonymised} compte(s) anonymisé(s), {self.kept} gardé(s) (engagements en "
            f"cours), {self.failed} en erreur"
        )


def idle_accounts(now: datetime) -> list[User]:
    limit = now - timedelta(days=current_app.config["ACCOUNT_INACTIVE_DAYS"])
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_active_account.is_(True), User.is_admin.is_(False), last_seen < limit)
            .order_by(User.id)
            .limit(BATCH)
        )
    )


def anonymise_idle_accounts(now: datetime) -> Outcome:
    outcome = Outcome()
    for user in idle_accounts(now):
        try:
            with db.session.begin_nested():
                if open_commitments(user):
                    outcome.kept += 1
                    continue
                anonymise(user, DeletionReason.INACTIVE)
        except Exception:  # one account never stops the run
            logger.exception("Account %s not anonymised", user.id)
            outcome.failed += 1
            continue
        outcome.anonymised += 1
    return outcome


def forget_former_names(now: datetime) -> int:
    """After DELETION_NOTICE_DAYS the coordinators' list keeps the date, not the name."""
    result = db.session.execute(
        update(AccountDeletion)
        .where(
            AccountDeletion.former_name.is_not(None),
            AccountDeletion.requested_at < now - timedelta(days=DELETION_NOTICE_DAYS),
        )
        .values(former_name=None)
    )
    db.session.flush()
    return result.rowcount or 0
