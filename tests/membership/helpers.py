"""Shared pieces of the membership tests."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.membership.models import MembershipSettings, YearlyMembership
from marketplace.payments.models import LedgerEntry
from tests import factories


def group_with_membership(**settings) -> factories.GroupFactory:
    group = factories.GroupFactory()
    db.session.add(
        MembershipSettings(
            group_id=group.id,
            start_month=settings.get("start_month", 9),
            pricing=settings.get("pricing", "fixed"),
            amount_cents=settings.get("amount_cents", 1500),
            required=settings.get("required", False),
            remind_days_before=settings.get("remind_days_before", 30),
        )
    )
    db.session.flush()
    return group


def member_of(group, **user):
    person = factories.UserFactory(**user)
    factories.MembershipFactory(user=person, organisation=group, role="member")
    return person


def counts() -> dict[str, int]:
    return {
        "memberships": db.session.scalar(select(func.count(YearlyMembership.id))),
        "ledger": db.session.scalar(select(func.count(LedgerEntry.id))),
    }
